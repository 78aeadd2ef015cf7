//! Information notices (GDPR Art. 13) generated from the register for a set of purposes,
//! in French or English, as plain text and HTML. The plain text is registered as a consent
//! notice (`consent.register-notice`): its version and SHA-256 are what receipts cite, a
//! register change that alters the text gives a new version, and one that does not alter it
//! gives the same version back (so the banner does not ask again). The HTML is a rendering
//! of the same sections.

use std::collections::BTreeSet;

use super::export::{basis_label, contact_label, data_line, escape, retention_line};
use super::{Activity, ActivityPurpose, Organisation};
use crate::Fichier;
use crate::consent::{Notice, NoticeInput};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Store;
use crate::kernel::types::{Actor, Lang, LawfulBasis};

/// A generated notice: the registered version, its text and its HTML rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedNotice {
    pub notice: Notice,
    pub text: String,
    pub html: String,
}

fn t(lang: Lang, fr: &str, en: &str) -> String {
    match lang {
        Lang::Fr => fr.into(),
        Lang::En => en.into(),
    }
}

/// The notice's sections: (heading, lines). Every Art. 13 item has its section.
pub fn sections(
    org: &Organisation,
    chosen: &[(&Activity, &ActivityPurpose)],
    lang: Lang,
) -> (String, Vec<(String, Vec<String>)>) {
    let title = t(lang, "Protection de vos données personnelles", "How we protect your personal data");
    let activities: Vec<&Activity> = {
        let mut seen = BTreeSet::new();
        chosen.iter().map(|(a, _)| *a).filter(|a| seen.insert(a.definition.id.clone())).collect()
    };
    let reach = org.dpo.as_ref().unwrap_or(&org.controller);
    let mut s: Vec<(String, Vec<String>)> = Vec::new();
    // 13(1)(a)
    s.push((t(lang, "Responsable du traitement", "Controller"), vec![contact_label(&org.controller)]));
    // 13(1)(b)
    s.push((
        t(lang, "Délégué à la protection des données", "Data protection officer"),
        vec![match &org.dpo {
            Some(d) => contact_label(d),
            None => t(
                lang,
                "Aucun délégué n'est désigné ; pour toute question sur vos données, écrivez au responsable du traitement ci-dessus.",
                "No officer is designated; for any question about your data, write to the controller above.",
            ),
        }],
    ));
    // 13(1)(c)
    s.push((
        t(lang, "Finalités et bases légales", "Purposes and legal bases"),
        chosen
            .iter()
            .map(|(_, p)| {
                format!(
                    "{} — {} : {}",
                    p.description.get(lang),
                    t(lang, "base légale", "legal basis"),
                    basis_label(p.basis, lang)
                )
            })
            .collect(),
    ));
    // 13(1)(d)
    let interests: Vec<String> = chosen
        .iter()
        .filter_map(|(_, p)| {
            p.legitimate_interest.as_ref().map(|li| format!("{} : {}", p.description.get(lang), li.get(lang)))
        })
        .collect();
    s.push((
        t(lang, "Intérêts légitimes poursuivis", "Legitimate interests pursued"),
        if interests.is_empty() {
            vec![t(
                lang,
                "Aucune de ces finalités ne repose sur l'intérêt légitime.",
                "None of these purposes rests on legitimate interests.",
            )]
        } else {
            interests
        },
    ));
    // The data concerned (Art. 13 does not require it at collection; people expect it).
    // In the categories' order, not the labels' alphabetical one.
    let rank =
        |c: crate::kernel::types::DataCategory| crate::kernel::types::DataCategory::ALL.iter().position(|x| *x == c);
    let mut data = BTreeSet::new();
    for a in &activities {
        for d in &a.definition.data {
            data.insert((rank(d.category), data_line(d, lang)));
        }
    }
    s.push((t(lang, "Données concernées", "Data concerned"), data.into_iter().map(|(_, l)| l).collect()));
    // 13(1)(e)
    let mut recipients = BTreeSet::new();
    for a in &activities {
        for r in &a.definition.recipients {
            recipients.insert(r.name.get(lang).to_string());
        }
    }
    s.push((
        t(lang, "Destinataires", "Recipients"),
        if recipients.is_empty() {
            vec![t(
                lang,
                "Vos données ne sont communiquées à personne d'autre.",
                "Your data are passed on to no one else.",
            )]
        } else {
            recipients.into_iter().collect()
        },
    ));
    // 13(1)(f)
    let mut transfers = BTreeSet::new();
    for a in &activities {
        for x in &a.definition.transfers {
            transfers.insert(format!(
                "{} ({}) — {}",
                x.recipient,
                x.country,
                match x.safeguard {
                    crate::registry::Safeguard::AdequacyDecision =>
                        t(lang, "décision d'adéquation", "adequacy decision"),
                    crate::registry::Safeguard::StandardContractualClauses => {
                        t(lang, "clauses contractuelles types", "standard contractual clauses")
                    }
                    crate::registry::Safeguard::BindingCorporateRules => {
                        t(lang, "règles d'entreprise contraignantes", "binding corporate rules")
                    }
                    crate::registry::Safeguard::Derogation =>
                        t(lang, "dérogation de l'article 49", "Art. 49 derogation"),
                }
            ));
        }
    }
    s.push((
        t(lang, "Transferts hors de l'Union européenne", "Transfers outside the European Union"),
        if transfers.is_empty() {
            vec![t(lang, "Aucun transfert hors de l'Union européenne.", "No transfer outside the European Union.")]
        } else {
            transfers.into_iter().collect()
        },
    ));
    // 13(2)(a)
    let mut retention = BTreeSet::new();
    for a in &activities {
        for r in &a.definition.retention {
            retention.insert((rank(r.category), retention_line(r, lang)));
        }
    }
    s.push((
        t(lang, "Durées de conservation", "How long we keep them"),
        retention.into_iter().map(|(_, l)| l).collect(),
    ));
    // 13(2)(b)
    s.push((
        t(lang, "Vos droits", "Your rights"),
        vec![format!(
            "{} {}.",
            t(
                lang,
                "Vous pouvez accéder à vos données, les rectifier, les effacer, en limiter le traitement, vous opposer à leur traitement et en demander la portabilité (articles 15 à 21 du RGPD), en écrivant à",
                "You may access your data, rectify or erase them, restrict or object to their processing, and ask for their portability (GDPR Articles 15 to 21), by writing to",
            ),
            contact_label(reach)
        )],
    ));
    // 13(2)(c)
    if chosen.iter().any(|(_, p)| p.basis == LawfulBasis::Consent) {
        s.push((
            t(lang, "Retrait du consentement", "Withdrawing consent"),
            vec![t(
                lang,
                "Vous pouvez retirer votre consentement à tout moment, aussi simplement que vous l'avez donné ; le retrait ne remet pas en cause le traitement effectué avant.",
                "You may withdraw your consent at any time, as easily as you gave it; withdrawing does not affect the processing done before.",
            )],
        ));
    }
    // 13(2)(d)
    s.push((
        t(lang, "Réclamation", "Complaints"),
        vec![t(
            lang,
            "Vous pouvez introduire une réclamation auprès de la CNIL (3 place de Fontenoy, 75007 Paris, www.cnil.fr).",
            "You may lodge a complaint with the CNIL, the French supervisory authority (3 place de Fontenoy, 75007 Paris, www.cnil.fr).",
        )],
    ));
    // 13(2)(e)
    s.push((
        t(lang, "Caractère obligatoire ou facultatif", "Whether you must provide the data"),
        chosen
            .iter()
            .map(|(_, p)| {
                let what = match (&p.provision, p.basis) {
                    (Some(pr), _) => pr.get(lang).to_string(),
                    (None, LawfulBasis::Consent) => t(
                        lang,
                        "facultatif ; refuser n'a aucune conséquence sur vos commandes.",
                        "optional; refusing has no effect on your orders.",
                    ),
                    (None, LawfulBasis::Contract) => t(
                        lang,
                        "nécessaire à l'exécution du contrat ; sans ces données, nous ne pouvons y donner suite.",
                        "needed to perform the contract; without these data we cannot go ahead.",
                    ),
                    (None, LawfulBasis::LegalObligation) => t(lang, "imposé par la loi.", "required by law."),
                    (None, _) => t(lang, "facultatif ; vous pouvez vous y opposer.", "optional; you may object."),
                };
                format!("{} : {what}", p.description.get(lang))
            })
            .collect(),
    ));
    // 13(2)(f)
    let automated: BTreeSet<String> = activities
        .iter()
        .filter_map(|a| a.definition.automated_decisions.as_ref().map(|l| l.get(lang).to_string()))
        .collect();
    s.push((
        t(lang, "Décisions automatisées", "Automated decisions"),
        if automated.is_empty() {
            vec![t(lang, "Aucune décision automatisée ni profilage.", "No automated decision-making or profiling.")]
        } else {
            automated.into_iter().collect()
        },
    ));
    (title, s)
}

pub fn render_text(title: &str, sections: &[(String, Vec<String>)]) -> String {
    let mut out = format!("{title}\n");
    for (h, lines) in sections {
        out.push_str(&format!("\n{h}\n"));
        for l in lines {
            out.push_str(&format!("- {l}\n"));
        }
    }
    out
}

pub fn render_html(title: &str, sections: &[(String, Vec<String>)], lang: Lang) -> String {
    let mut out =
        format!("<section class=\"fichier-notice\" lang=\"{}\">\n<h2>{}</h2>\n", lang.as_str(), escape(title));
    for (h, lines) in sections {
        out.push_str(&format!("<h3>{}</h3>\n<ul>\n", escape(h)));
        for l in lines {
            out.push_str(&format!("<li>{}</li>\n", escape(l)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

impl<S: Store> Fichier<'_, S> {
    /// Generate the Art. 13 notice for `purposes` (declared for consent and in an active
    /// activity) and register its text as a consent notice.
    pub fn generate_notice(&mut self, actor: &Actor, purposes: &[String], lang: Lang) -> Result<GeneratedNotice> {
        authorize(actor, Operation::RegisterNotice)?;
        if purposes.is_empty() || purposes.len() > 32 {
            return Err(Error::invalid("purposes", "count-1-32", "a notice informs about 1 to 32 purposes"));
        }
        let doc = self.registry()?;
        let Some(org) = doc.organisation.clone() else {
            return Err(Error::not_found(
                "organisation",
                "organisation-set",
                "the register does not name the controller yet (Art. 13(1)(a) needs it)",
            ));
        };
        for (i, id) in purposes.iter().enumerate() {
            crate::kernel::validate::purpose_id(&format!("purposes[{i}]"), id)?;
            if !doc.active().any(|a| a.definition.purposes.iter().any(|p| &p.id == id)) {
                return Err(Error::not_found(
                    format!("purposes[{i}]"),
                    "purpose-in-activity",
                    format!("no active activity of the register declares purpose {id}"),
                ));
            }
        }
        let wanted: BTreeSet<&String> = purposes.iter().collect();
        let mut chosen: Vec<(&Activity, &ActivityPurpose)> = Vec::new();
        for id in wanted {
            for a in doc.active() {
                if let Some(p) = a.definition.purposes.iter().find(|p| &p.id == id) {
                    chosen.push((a, p));
                }
            }
        }
        let (title, sections) = sections(&org, &chosen, lang);
        let text = render_text(&title, &sections);
        let html = render_html(&title, &sections, lang);
        let notice = self.register_notice(
            actor,
            NoticeInput { purposes: purposes.to_vec(), lang: lang.as_str().into(), text: text.clone() },
        )?;
        Ok(GeneratedNotice { notice, text, html })
    }
}
