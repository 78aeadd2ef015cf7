//! What a field's name says it holds: the detectors for NIR, CVV, card number, IBAN,
//! password, birth-date and security-question fields (words, whole or glued, with the words that unmake
//! them: a *carte de fidélité* is not a payment card), and the parental-consent field.

use super::lexicon::{INDEX, Index, Owner, PARENT_WHAT, PARENT_WHO, UNLESS_SHIFT, Words};
use super::special::Special;

/// A field name or label, analysed once: the detectors it matches (bit `id`), the special
/// categories it names (bit [`Special::bit`]), and whether it names a parental consent.
#[derive(Clone, Copy)]
pub(super) struct Named {
    detectors: u8,
    pub(crate) specials: u16,
    parental: bool,
}

impl Named {
    pub(crate) fn new(s: &str, camel: bool) -> Self {
        Named::read(&mut Words::default(), s, camel)
    }

    /// Analyses `s` with the buffers of `words`.
    pub(crate) fn read(words: &mut Words, s: &str, camel: bool) -> Self {
        words.read(s, camel);
        let idx = &INDEX;
        let glued = idx.glued_flags(&words.compact);
        let (mut found, mut specials) = (0u8, 0u16);
        for i in 0..words.words.len() {
            let mut note = |owner, _| match owner {
                Owner::Detector(id) => found |= 1 << id,
                Owner::Special(kind) => specials |= Special::bit(kind),
            };
            Index::terms_at(&idx.named, words, i, &mut note);
            idx.specials_at(words, i, &mut note);
            idx.contextual_at(words, i, &mut note);
        }
        let own = u8::try_from(glued & 0xff).unwrap_or(0);
        let unless = u8::try_from((glued >> UNLESS_SHIFT) & 0xff).unwrap_or(0);
        Named {
            detectors: (own | found) & !unless,
            specials,
            parental: glued & PARENT_WHO != 0 && glued & PARENT_WHAT != 0,
        }
    }
}

/// What a field name or label says about the field. A name matches when it contains none of
/// `unless`, and one of `glued` or a word, stem or phrase of `terms`.
pub(super) struct Detector {
    /// Its bit in [`Named::detectors`] (0–7).
    pub(crate) id: u8,
    /// Word / stem / phrase patterns.
    pub(crate) terms: &'static [&'static str],
    /// Substrings of the compact form (for glued names: `dateofbirth`, `motdepasse`).
    pub(crate) glued: &'static [&'static str],
    /// Substrings of the compact form that mean it is something else (`birthplace`, `codeinsee`).
    pub(crate) unless: &'static [&'static str],
}

impl Detector {
    pub(crate) fn matches(&self, n: &Named) -> bool {
        n.detectors & (1 << self.id) != 0
    }

    pub(crate) fn any(&self, names: &[Named]) -> bool {
        names.iter().any(|n| self.matches(n))
    }
}

pub(super) const DETECTORS: [&Detector; 7] =
    [&NIR_NAME, &CVV_NAME, &CARD_NAME, &IBAN_NAME, &PASSWORD_NAME, &BIRTH_NAME, &SECURITY_QUESTION_NAME];

pub(super) const NIR_NAME: Detector = Detector {
    id: 0,
    terms: &[
        "nir",
        "ssn",
        "nss",
        "secu",
        "insee",
        "securite* sociale*",
        "social security",
        "social insurance",
        "carte vitale",
    ],
    glued: &["numsecu", "numerosecu", "securitesociale", "socialsecurity", "cartevitale"],
    unless: &["codeinsee", "inseecode", "commune"],
};

pub(super) const CVV_NAME: Detector = Detector {
    id: 1,
    terms: &[
        "cvv*",
        "cvc*",
        "cvn",
        "cryptogram*",
        "card verification*",
        "card security*",
        "security code*",
        "code* de securite",
        "code* securite",
    ],
    glued: &["cvv", "cvc", "cryptogram"],
    unless: &["securitesociale", "socialsecurity"],
};

pub(super) const CARD_NAME: Detector = Detector {
    id: 2,
    terms: &[
        "card number*",
        "card no",
        "card num*",
        "cardnumber*",
        "credit card*",
        "debit card*",
        "carte* bancaire*",
        "carte* de credit",
        "carte* credit",
        "numero* de carte*",
        "numero* carte*",
        "num carte*",
        "no carte*",
        "pan",
        "cc number",
        "cc num*",
    ],
    glued: &["cardnumber", "creditcard", "debitcard", "cartebancaire", "numcarte", "numerocarte", "numerodecarte"],
    unless: &[
        "fidelit",
        "loyalty",
        "gift",
        "cadeau",
        "member",
        "membre",
        "vitale",
        "identit",
        "grise",
        "club",
        "student",
        "etudiant",
        "navigo",
        "transport",
        "bibliotheque",
        "library",
        "type",
        "brand",
        "marque",
        "expir",
        "holder",
        "titulaire",
        "nom",
        "name",
        "last4",
        "derniers",
        "masked",
        "token",
    ],
};

pub(super) const IBAN_NAME: Detector = Detector {
    id: 3,
    terms: &[
        "iban",
        "rib",
        "identite* bancaire*",
        "bank account*",
        "compte* bancaire*",
        "coordonnee* bancaire*",
        "bank detail*",
    ],
    glued: &["comptebancaire", "coordonneesbancaires", "bankaccount", "bankdetails"],
    unless: &[],
};

pub(super) const PASSWORD_NAME: Detector = Detector {
    id: 4,
    terms: &["password*", "passwd", "pass", "pwd", "mdp", "passphrase*", "passcode*", "mot* de passe*", "motdepasse*"],
    glued: &["password", "motdepasse", "passwd"],
    unless: &[
        "changed", "updated", "reset", "expir", "hint", "strength", "policy", "attempt", "oubli", "forgot", "date",
    ],
};

pub(super) const BIRTH_NAME: Detector = Detector {
    id: 5,
    terms: &["birth*", "dob", "naissance*", "anniversaire*", "ddn"],
    glued: &["dateofbirth", "birthdate", "birthday", "datenaissance", "datedenaissance"],
    unless: &[
        "place", "lieu", "city", "ville", "country", "pays", "name", "nom", "commune", "depart", "town", "region",
        "mariage", "wedding",
    ],
};

/// A security question and its answer (question secrète): a fact of the person's life that
/// no purpose needs to sign them in (GDPR Art. 5(1)(c)).
pub(super) const SECURITY_QUESTION_NAME: Detector = Detector {
    id: 6,
    terms: &[
        "security question*",
        "secret question*",
        "security answer*",
        "secret answer*",
        "question* secrete*",
        "question* de securite",
        "question* securite",
        "reponse* secrete*",
        "reponse* de securite",
    ],
    glued: &[
        "securityquestion",
        "secretquestion",
        "securityanswer",
        "secretanswer",
        "questionsecrete",
        "questiondesecurite",
        "reponsesecrete",
        "mothersmaidenname",
        "mothermaidenname",
        // « Nom de jeune fille de votre / de la / de ma mère », « nom de naissance de votre mère ».
        "jeunefilledevotremere",
        "jeunefilledelamere",
        "jeunefilledemamere",
        "naissancedevotremere",
        "naissancedelamere",
    ],
    unless: &[],
};

/// A field named like a parental consent (`parental_consent`, `consentement-parental`,
/// `autorisationParentale`, `guardian_approval`).
pub(super) fn is_parental_consent_name(name: &str) -> bool {
    Named::new(name, false).parental
}

/// Who consents, and what they do, in a parental-consent name (substrings of the compact form).
pub(super) const PARENT_WHO_WORDS: [&str; 4] = ["parent", "tuteur", "guardian", "representantlegal"];
pub(super) const PARENT_WHAT_WORDS: [&str; 6] = ["consent", "autoris", "authori", "accord", "approv", "agree"];

pub(super) fn is_truthy(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    matches!(v.as_str(), "true" | "yes" | "y" | "oui" | "o" | "1" | "on" | "vrai" | "x" | "checked")
}
