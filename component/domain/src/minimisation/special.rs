//! Special categories (Art. 9) and criminal data (Art. 10): the terms of each category,
//! French and English, in their inflected and everyday forms, without taking a shop's
//! words for them (*une enceinte Bluetooth* is a loudspeaker).

use super::lexicon::{INDEX, Owner, Words};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Special {
    Health,
    Religion,
    PoliticalOpinion,
    TradeUnion,
    EthnicOrigin,
    SexualOrientation,
    SexLife,
    Genetic,
    Biometric,
    Criminal,
}

impl Special {
    /// Every category, in the order of the enum.
    pub(crate) const ALL: [Special; 10] = [
        Special::Health,
        Special::Religion,
        Special::PoliticalOpinion,
        Special::TradeUnion,
        Special::EthnicOrigin,
        Special::SexualOrientation,
        Special::SexLife,
        Special::Genetic,
        Special::Biometric,
        Special::Criminal,
    ];

    /// Its bit in [`Named::specials`].
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Special::Health => "health",
            Special::Religion => "religion",
            Special::PoliticalOpinion => "political-opinion",
            Special::TradeUnion => "trade-union",
            Special::EthnicOrigin => "ethnic-origin",
            Special::SexualOrientation => "sexual-orientation",
            Special::SexLife => "sex-life",
            Special::Genetic => "genetic",
            Special::Biometric => "biometric",
            Special::Criminal => "criminal",
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Special::Health => "health data",
            Special::Religion => "religious or philosophical beliefs",
            Special::PoliticalOpinion => "political opinions",
            Special::TradeUnion => "trade-union membership",
            Special::EthnicOrigin => "racial or ethnic origin",
            Special::SexualOrientation => "sexual orientation",
            Special::SexLife => "sex life",
            Special::Genetic => "genetic data",
            Special::Biometric => "biometric data",
            Special::Criminal => "criminal convictions or offences",
        }
    }

    pub(crate) fn source(self) -> &'static str {
        match self {
            Special::Criminal => "GDPR Art. 10",
            _ => "GDPR Art. 9(1)",
        }
    }
}

/// Folded French and English words, stems and phrases per category. Whole words only.
pub(super) const SPECIAL_TERMS: &[(Special, &[&str])] = &[
    (
        Special::Health,
        &[
            "health",
            "healthcare",
            "sante",
            "medical*",
            "medicaux",
            "medication*",
            "medicament*",
            "medicine*",
            "medecin*",
            "diabet*",
            "allerg*",
            "illness*",
            "disease*",
            "diagnosis",
            "diagnosed",
            "maladie*",
            "malade*",
            "disabilit*",
            "disabled",
            "handicap*",
            "invalidite*",
            "pregnan*",
            "grossesse*",
            "cancer*",
            "tumeur*",
            "tumor*",
            "tumour*",
            "hiv",
            "vih",
            "sida",
            "asthm*",
            "epilep*",
            "patholog*",
            "ordonnance* medicale*",
            "prescription*",
            "symptom*",
            "intoleran*",
            "insulin*",
            "glycemi*",
            "hypertension",
            "celiac*",
            "coeliac*",
            "coeliaqu*",
            "autis*",
            "alzheimer*",
            "parkinson*",
            "psychiatr*",
            "therap*",
            "vaccin*",
            "blood type*",
            "groupe* sanguin*",
            "wheelchair*",
            "fauteuil* roulant*",
        ],
    ),
    (
        Special::Religion,
        &[
            "religio*",
            "croyance*",
            "muslim*",
            "musulman*",
            "islam*",
            "juif",
            "juifs",
            "juive*",
            "jewish",
            "judaism*",
            "judaisme",
            "catholi*",
            "protestant*",
            "buddhis*",
            "bouddhis*",
            "hindu*",
            "hindou*",
            "atheis*",
            "athee*",
            "chretien*",
            "christianit*",
            "christianism*",
            "evangeli*",
            "sikh*",
            "jehovah*",
            "philosophical belief*",
            "conviction* philosophique*",
        ],
    ),
    (
        Special::PoliticalOpinion,
        &[
            "politic*",
            "opinion* politique*",
            "parti* politique*",
            "orientation* politique*",
            "sensibilite* politique*",
            "appartenance* politique*",
            "engagement* politique*",
            "affiliation* politique*",
            "conviction* politique*",
        ],
    ),
    (Special::TradeUnion, &["trade union*", "labor union*", "labour union*", "union member*", "syndica*", "syndique*"]),
    (Special::EthnicOrigin, &["ethni*", "racia*", "skin colo*", "couleur* de peau"]),
    (
        Special::SexualOrientation,
        &["sexual orientation*", "orientation* sexuelle*", "homosexu*", "bisexu*", "heterosexu*", "lesbi*", "lgbt*"],
    ),
    (
        Special::SexLife,
        &[
            "sex life",
            "sexual life",
            "vie* sexuelle*",
            "sexual activit*",
            "activite* sexuelle*",
            "sexual partner*",
            "partenaire* sexuel*",
            "sexualit*",
        ],
    ),
    (Special::Genetic, &["genetic*", "genetique*", "dna", "adn", "genom*", "genotyp*"]),
    (
        Special::Biometric,
        &[
            "biometri*",
            "fingerprint*",
            "empreinte* digitale*",
            "face recognition",
            "facial recognition",
            "reconnaissance* faciale*",
            "iris scan*",
            "retina* scan*",
            "voiceprint*",
            "empreinte* vocale*",
        ],
    ),
    (
        Special::Criminal,
        &[
            "criminal*",
            "criminel*",
            "casier* judiciaire*",
            "criminal record*",
            "condamnation*",
            "convicted",
            "conviction* penale*",
            "infraction*",
            "felon*",
            "incarcer*",
            "antecedent* judiciaire*",
        ],
    ),
];

/// Calls `f` with every occurrence of a special-category term in `words`: category and
/// character span. At most one per category and starting word (the longest phrase).
pub(super) fn special_matches(words: &Words, mut f: impl FnMut(Special, usize, usize)) {
    let idx = &INDEX;
    for (i, w) in words.words.iter().enumerate() {
        let mut longest: Option<[usize; Special::ALL.len()]> = None;
        idx.specials_at(words, i, |owner, len| {
            if let Owner::Special(kind) = owner
                && let Some(l) = longest.get_or_insert_default().get_mut(kind as usize)
            {
                *l = (*l).max(len);
            }
        });
        let Some(longest) = longest else {
            continue;
        };
        for (&kind, &len) in Special::ALL.iter().zip(&longest) {
            if len > 0
                && let Some(last) = words.words.get(i + len - 1)
            {
                f(kind, w.start, last.end);
            }
        }
    }
}
