//! The lawful-basis assistant: a short decision procedure (answers → proposed basis)
//! following GDPR Art. 6(1), Art. 9, the French rules on trackers (Loi Informatique et
//! Libertés art. 82, CNIL délibération 2020-091) and on electronic marketing (CPCE
//! L34-5), with the obligations that follow the basis. Its answer explains itself: every
//! step says which answer led where and under which text.

use serde::{Deserialize, Serialize};

use crate::kernel::types::{Lang, LawfulBasis};

/// The questions, answered by yes or no.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BasisAnswers {
    /// Health, religion, opinions, ethnic origin, sexual life, biometrics, genetics, union
    /// membership (Art. 9) or offences (Art. 10).
    pub special_categories: bool,
    /// Reads or writes on the person's device beyond what the service strictly needs
    /// (audience measurement that is not exempt, advertising, social-media trackers).
    pub device_access: bool,
    /// Marketing by e-mail or SMS.
    pub electronic_marketing: bool,
    /// …sent to existing customers about products similar to those they bought.
    pub existing_customers_similar_products: bool,
    /// A law requires it (invoices, accounting, tax).
    pub required_by_law: bool,
    /// The contract the person asked for cannot be performed without it (or steps they asked for before one).
    pub needed_for_contract: bool,
    /// Needed to protect someone's life.
    pub vital_interest: bool,
    /// A task in the public interest laid down by law.
    pub public_task: bool,
    /// The person can reasonably expect it and it affects them little.
    pub expected_low_impact: bool,
}

/// The assistant's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BasisAdvice {
    /// The proposed basis.
    pub basis: LawfulBasis,
    /// Why: the steps taken, each naming the answer and the text.
    pub reasoning: Vec<String>,
    /// What the basis obliges the shop to do.
    pub obligations: Vec<String>,
    /// What to reconsider before going on.
    pub warnings: Vec<String>,
}

fn t(lang: Lang, fr: &str, en: &str) -> String {
    match lang {
        Lang::Fr => fr.into(),
        Lang::En => en.into(),
    }
}

/// Propose a basis from the answers.
pub fn advise(a: BasisAnswers, lang: Lang) -> BasisAdvice {
    let mut reasoning = Vec::new();
    let mut warnings = Vec::new();
    if a.special_categories {
        warnings.push(t(
            lang,
            "Données sensibles : leur traitement est interdit (art. 9.1 RGPD) sauf exception de l'art. 9.2 ; pour une boutique, seule une exception comme le consentement explicite (art. 9.2.a) peut s'appliquer. Renoncez-y si possible et, sinon, menez une analyse d'impact (art. 35).",
            "Special categories: processing them is forbidden (GDPR Art. 9(1)) save the exceptions of Art. 9(2); for a shop, only one such as explicit consent (Art. 9(2)(a)) can apply. Do without them if you can; otherwise run an impact assessment (Art. 35).",
        ));
    }
    let basis = if a.special_categories {
        reasoning.push(t(
            lang,
            "Vous traitez des données sensibles : la base proposée est le consentement explicite (art. 9.2.a et 6.1.a).",
            "You process special-category data: the proposed basis is explicit consent (Art. 9(2)(a) and 6(1)(a)).",
        ));
        LawfulBasis::Consent
    } else if a.device_access {
        reasoning.push(t(
            lang,
            "Vous lisez ou écrivez sur le terminal de la personne au-delà du strict nécessaire : la loi Informatique et Libertés (art. 82) et la délibération CNIL 2020-091 exigent son consentement préalable, quelle que soit la finalité.",
            "You read or write on the person's device beyond what is strictly needed: the French Data Protection Act (art. 82) and CNIL délibération 2020-091 require prior consent whatever the purpose.",
        ));
        LawfulBasis::Consent
    } else if a.electronic_marketing && a.existing_customers_similar_products {
        reasoning.push(t(
            lang,
            "Prospection électronique de vos clients pour des produits analogues : l'article L34-5 du CPCE l'admet sans consentement préalable si la personne a pu s'y opposer à la collecte et peut le faire dans chaque message ; la base est l'intérêt légitime (art. 6.1.f).",
            "E-mail marketing to your customers about similar products: French CPCE art. L34-5 allows it without prior consent if the person could object at collection and can in every message; the basis is legitimate interests (Art. 6(1)(f)).",
        ));
        LawfulBasis::LegitimateInterests
    } else if a.electronic_marketing {
        reasoning.push(t(
            lang,
            "Prospection par e-mail ou SMS hors clients existants ou pour d'autres produits : l'article L34-5 du CPCE exige le consentement préalable.",
            "E-mail or SMS marketing beyond existing customers or to other products: French CPCE art. L34-5 requires prior consent.",
        ));
        LawfulBasis::Consent
    } else if a.required_by_law {
        reasoning.push(t(
            lang,
            "Un texte vous impose ce traitement : la base est l'obligation légale (art. 6.1.c) ; citez le texte.",
            "A law requires this processing: the basis is legal obligation (Art. 6(1)(c)); cite the text.",
        ));
        LawfulBasis::LegalObligation
    } else if a.needed_for_contract {
        reasoning.push(t(
            lang,
            "Le contrat demandé par la personne ne peut être exécuté sans ce traitement : la base est le contrat (art. 6.1.b).",
            "The contract the person asked for cannot be performed without it: the basis is contract (Art. 6(1)(b)).",
        ));
        LawfulBasis::Contract
    } else if a.vital_interest {
        reasoning.push(t(
            lang,
            "Le traitement protège la vie d'une personne : intérêts vitaux (art. 6.1.d), à n'invoquer que si aucune autre base ne convient (considérant 46).",
            "The processing protects someone's life: vital interests (Art. 6(1)(d)), only when no other basis fits (recital 46).",
        ));
        LawfulBasis::VitalInterests
    } else if a.public_task {
        warnings.push(t(
            lang,
            "Une boutique n'exerce en principe pas de mission d'intérêt public : vérifiez le texte qui vous la confie.",
            "A shop does not normally carry out a public task: check the law that entrusts it to you.",
        ));
        reasoning.push(t(
            lang,
            "Une mission d'intérêt public prévue par la loi : art. 6.1.e.",
            "A task in the public interest laid down by law: Art. 6(1)(e).",
        ));
        LawfulBasis::PublicTask
    } else if a.expected_low_impact {
        reasoning.push(t(
            lang,
            "La personne peut raisonnablement s'attendre au traitement et il l'affecte peu : l'intérêt légitime (art. 6.1.f) est possible, après une mise en balance documentée.",
            "The person can reasonably expect it and it affects them little: legitimate interests (Art. 6(1)(f)) are possible, after a documented balancing test.",
        ));
        LawfulBasis::LegitimateInterests
    } else {
        reasoning.push(t(
            lang,
            "Aucune autre base ne s'applique : seul le consentement (art. 6.1.a) peut fonder ce traitement. S'il n'est pas nécessaire, ne le faites pas (art. 5.1.c).",
            "No other basis applies: only consent (Art. 6(1)(a)) can ground this processing. If it is not needed, do not do it (Art. 5(1)(c)).",
        ));
        LawfulBasis::Consent
    };
    BasisAdvice { basis, reasoning, obligations: obligations(basis, a, lang), warnings }
}

/// What a basis obliges the shop to do.
pub fn obligations(basis: LawfulBasis, a: BasisAnswers, lang: Lang) -> Vec<String> {
    let mut o = match basis {
        LawfulBasis::Consent => vec![
            t(
                lang,
                "Pouvoir prouver le consentement : texte présenté (version et empreinte), date, canal (art. 7.1) — les reçus de fichier le font.",
                "Be able to prove consent: the text shown (version and hash), date, channel (Art. 7(1)) — fichier's receipts do.",
            ),
            t(
                lang,
                "Une demande distincte des autres conditions, des cases non pré-cochées (art. 7.2).",
                "A request distinct from other terms, no pre-ticked boxes (Art. 7(2)).",
            ),
            t(
                lang,
                "Un retrait aussi simple que le consentement, à tout moment (art. 7.3).",
                "Withdrawal as easy as giving consent, at any time (Art. 7(3)).",
            ),
            t(
                lang,
                "Ne pas conditionner le contrat à un consentement inutile à son exécution (art. 7.4).",
                "Do not make the contract depend on a consent it does not need (Art. 7(4)).",
            ),
            t(
                lang,
                "Redemander à l'échéance de validité et à chaque nouvelle finalité ; accord parental sous 15 ans (art. 8, loi Informatique et Libertés art. 45).",
                "Ask again when the validity ends and for any new purpose; parental consent under 15 (Art. 8, French Data Protection Act art. 45).",
            ),
        ],
        LawfulBasis::Contract => vec![
            t(
                lang,
                "Ne collecter que ce que le contrat exige (art. 5.1.c) ; le reste demande une autre base.",
                "Collect only what the contract needs (Art. 5(1)(c)); anything else needs another basis.",
            ),
            t(
                lang,
                "Indiquer que la fourniture des données conditionne le contrat et ce qu'entraîne un refus (art. 13.2.e).",
                "Say that providing the data is needed for the contract and what a refusal entails (Art. 13(2)(e)).",
            ),
            t(
                lang,
                "Conserver le temps du contrat, puis en archive pour la durée de prescription seulement.",
                "Keep for the contract, then archive only for the limitation period.",
            ),
        ],
        LawfulBasis::LegalObligation => vec![
            t(
                lang,
                "Citer le texte qui impose le traitement et s'en tenir aux données et à la durée qu'il prévoit.",
                "Cite the text that imposes the processing and keep to the data and the period it sets.",
            ),
            t(
                lang,
                "Ces données relèvent d'une obligation de conservation qui prime sur l'effacement (art. 17.3.b) : le rapport d'effacement le dit.",
                "These data are under a legal hold that prevails over erasure (Art. 17(3)(b)): the erasure report says so.",
            ),
        ],
        LawfulBasis::LegitimateInterests => vec![
            t(
                lang,
                "Documenter la mise en balance de l'intérêt poursuivi avec les droits de la personne (art. 6.1.f, 5.2).",
                "Document the balancing of the interest pursued against the person's rights (Art. 6(1)(f), 5(2)).",
            ),
            t(
                lang,
                "Énoncer l'intérêt poursuivi dans la note d'information (art. 13.1.d).",
                "State the interest pursued in the information notice (Art. 13(1)(d)).",
            ),
            t(
                lang,
                "Permettre de s'opposer (art. 21.1) ; pour la prospection, l'opposition est absolue et se fait dans chaque message (art. 21.2-3).",
                "Let people object (Art. 21(1)); for direct marketing the objection is absolute and offered in every message (Art. 21(2)-(3)).",
            ),
        ],
        LawfulBasis::VitalInterests => vec![t(
            lang,
            "Limiter le traitement à la protection de la vie et le réexaminer dès qu'une autre base est possible.",
            "Limit the processing to protecting life and review it as soon as another basis is possible.",
        )],
        LawfulBasis::PublicTask => vec![t(
            lang,
            "Citer la loi qui confie la mission ; la personne peut s'opposer (art. 21.1).",
            "Cite the law that entrusts the task; the person may object (Art. 21(1)).",
        )],
    };
    if a.device_access && basis == LawfulBasis::Consent {
        o.push(t(
            lang,
            "Bandeau : « Tout refuser » aussi visible que « Tout accepter », choix conservé et redemandé après la durée réglée (CNIL 2020-091).",
            "Banner: \"Refuse all\" as visible as \"Accept all\", the choice kept and asked again after the set period (CNIL 2020-091).",
        ));
    }
    o
}

impl<S: crate::kernel::store::Store> crate::Fichier<'_, S> {
    /// The assistant as an operation (any role; it reads and writes nothing).
    pub fn assist_basis(
        &mut self,
        actor: &crate::kernel::types::Actor,
        answers: BasisAnswers,
        lang: Lang,
    ) -> crate::Result<BasisAdvice> {
        crate::kernel::authz::authorize(actor, crate::kernel::authz::Operation::ReadCatalogue)?;
        Ok(advise(answers, lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_table() {
        let y = BasisAnswers::default;
        let cases: Vec<(BasisAnswers, LawfulBasis)> = vec![
            (y(), LawfulBasis::Consent),
            (BasisAnswers { needed_for_contract: true, ..y() }, LawfulBasis::Contract),
            (BasisAnswers { required_by_law: true, needed_for_contract: true, ..y() }, LawfulBasis::LegalObligation),
            (BasisAnswers { device_access: true, expected_low_impact: true, ..y() }, LawfulBasis::Consent),
            (BasisAnswers { electronic_marketing: true, ..y() }, LawfulBasis::Consent),
            (
                BasisAnswers { electronic_marketing: true, existing_customers_similar_products: true, ..y() },
                LawfulBasis::LegitimateInterests,
            ),
            (BasisAnswers { expected_low_impact: true, ..y() }, LawfulBasis::LegitimateInterests),
            (BasisAnswers { vital_interest: true, ..y() }, LawfulBasis::VitalInterests),
            (BasisAnswers { public_task: true, ..y() }, LawfulBasis::PublicTask),
            (BasisAnswers { special_categories: true, needed_for_contract: true, ..y() }, LawfulBasis::Consent),
        ];
        for (answers, basis) in cases {
            for lang in [Lang::Fr, Lang::En] {
                let advice = advise(answers, lang);
                assert_eq!(advice.basis, basis, "{answers:?}");
                assert!(!advice.reasoning.is_empty() && !advice.obligations.is_empty(), "{answers:?}");
                // The answer explains itself with the text it relies on.
                assert!(advice.reasoning.iter().any(|r| r.contains("art") || r.contains("Art")), "{advice:?}");
            }
        }
    }

    #[test]
    fn sensitive_data_and_public_task_warn() {
        let a = advise(BasisAnswers { special_categories: true, ..Default::default() }, Lang::En);
        assert!(a.warnings.iter().any(|w| w.contains("Art. 9(1)")));
        let b = advise(BasisAnswers { public_task: true, ..Default::default() }, Lang::Fr);
        assert_eq!(b.warnings.len(), 1);
        let c = advise(BasisAnswers { device_access: true, ..Default::default() }, Lang::En);
        assert!(c.obligations.iter().any(|o| o.contains("Refuse all")));
    }
}
