//! The e-shop defaults of the register, after the CNIL référentiel « gestion des activités
//! commerciales » (délibération 2021-131) and the texts `GDPR.md` cites. Every figure is a
//! starting point the shop edits (`registry.put-activity`).

use super::{
    ActivityInput, ActivityPurpose, DataItem, Recipient, RetentionAction as A, RetentionRule, RetentionStart as S,
    SecurityMeasure as M, SubjectCategory,
};
use crate::kernel::types::{DataCategory as C, LawfulBasis as B, Localized as L};

fn purpose(id: &str, fr: &str, en: &str, basis: B) -> ActivityPurpose {
    ActivityPurpose { id: id.into(), description: L::new(fr, en), basis, legitimate_interest: None, provision: None }
}

fn data(category: C, fr: &str, en: &str) -> DataItem {
    DataItem { category, description: L::new(fr, en), sensitive: false }
}

fn keep(category: C, months: u32, start: S, action: A) -> RetentionRule {
    RetentionRule { category, months, start, action, legal_hold: None }
}

fn external(fr: &str, en: &str) -> Recipient {
    Recipient { name: L::new(fr, en), internal: false }
}

fn internal(fr: &str, en: &str) -> Recipient {
    Recipient { name: L::new(fr, en), internal: true }
}

/// What fichier itself does for every activity whose data it holds.
fn measures() -> Vec<M> {
    vec![M::EncryptionAtRest, M::Pseudonymisation, M::AccessControl]
}

pub fn shop() -> Vec<ActivityInput> {
    vec![
        customer_management(),
        prospecting(),
        audience_measurement(),
        rights_requests(),
        accounting(),
        fraud(),
        service(),
    ]
}

fn customer_management() -> ActivityInput {
    let mut orders = purpose(
        "orders",
        "Gestion des commandes, de la livraison, de la facturation et du compte client",
        "Handling orders, delivery, invoicing and the customer account",
        B::Contract,
    );
    orders.provision = Some(L::new(
        "Ces données sont nécessaires à l'exécution de votre commande : sans elles, nous ne pouvons pas la traiter.",
        "These data are needed to perform your order: without them we cannot process it.",
    ));
    ActivityInput {
        id: "customer-management".into(),
        name: L::new("Gestion des clients", "Customer management"),
        joint_controller: None,
        purposes: vec![orders],
        subjects: vec![SubjectCategory::Customers],
        data: vec![
            data(C::Identity, "Civilité, nom, prénom", "Title, family and given names"),
            data(C::Contact, "Adresse e-mail, téléphone", "E-mail address, phone number"),
            data(C::PostalAddress, "Adresses de livraison et de facturation", "Delivery and billing addresses"),
            data(C::Order, "Commandes, livraisons, retours", "Orders, deliveries, returns"),
            data(C::Payment, "Moyen de paiement utilisé, transactions", "Payment means used, transactions"),
            data(
                C::Account,
                "Identifiant, numéro de client, date d'inscription",
                "Login, customer number, sign-up date",
            ),
        ],
        recipients: vec![
            internal("Services commercial et logistique", "Sales and logistics staff"),
            external("Transporteurs", "Carriers"),
            external("Prestataire de paiement", "Payment provider"),
        ],
        transfers: vec![],
        retention: vec![
            keep(C::Identity, 36, S::EndOfContract, A::Delete),
            keep(C::Contact, 36, S::EndOfContract, A::Delete),
            keep(C::PostalAddress, 36, S::EndOfContract, A::Delete),
            // Evidence of the contract: intermediate archive for the civil limitation period (5 years).
            keep(C::Order, 60, S::Transaction, A::Archive),
            // CNIL délibération 2018-303: card data (number, expiry) for disputes, in the
            // archive 13 months after the debit; a shop that debits later (deferred debit)
            // sets 15 here. A legal-claims exception (Art. 17(3)(e)): an erasure keeps it
            // until the same end, as the sweep does.
            RetentionRule {
                category: C::Payment,
                months: 13,
                start: S::Transaction,
                action: A::Archive,
                legal_hold: Some(L::new(
                    "CNIL, délibération 2018-303 : données de carte conservées en archive pour les contestations, 13 mois après le débit (15 mois pour un débit différé) ; RGPD art. 17(3)(e)",
                    "CNIL deliberation 2018-303: card data kept in archive for disputes, 13 months after the debit (15 months for a deferred debit); GDPR Art. 17(3)(e)",
                )),
            },
            // An inactive online account (no login for 2 years) is closed: 2 years is
            // proportionate. Only a login restarts it.
            keep(C::Account, 24, S::LastLogin, A::Delete),
        ],
        security: measures(),
        automated_decisions: None,
    }
}

fn prospecting() -> ActivityInput {
    let newsletter = purpose(
        "newsletter",
        "Envoi de la lettre d'information et d'offres commerciales par e-mail",
        "Sending the newsletter and commercial offers by e-mail",
        B::Consent,
    );
    let mut similar = purpose(
        "prospecting",
        "Offres par e-mail aux clients pour des produits analogues à ceux achetés",
        "E-mail offers to customers about products similar to those they bought",
        B::LegitimateInterests,
    );
    similar.legitimate_interest = Some(L::new(
        "Fidéliser nos clients en leur proposant des produits analogues (article L34-5 du CPCE) ; vous pouvez vous y opposer à tout moment, par un lien dans chaque message.",
        "Keeping our customers by offering them similar products (French CPCE art. L34-5); you may object at any time through a link in every message.",
    ));
    ActivityInput {
        id: "prospecting".into(),
        name: L::new("Prospection commerciale et lettre d'information", "Prospecting and newsletter"),
        joint_controller: None,
        purposes: vec![newsletter, similar],
        subjects: vec![SubjectCategory::Customers, SubjectCategory::Prospects],
        data: vec![
            data(C::Identity, "Nom, prénom", "Family and given names"),
            data(C::Contact, "Adresse e-mail", "E-mail address"),
            data(
                C::MarketingPreferences,
                "Consentements, préférences, centres d'intérêt",
                "Consents, preferences, interests",
            ),
        ],
        recipients: vec![
            internal("Service marketing", "Marketing staff"),
            external("Prestataire d'envoi d'e-mails", "E-mail sending provider"),
        ],
        transfers: vec![],
        // Prospects: 3 years from collection or from their last contact; customers: 3 years
        // from the end of the relationship, their last purchase or contact, or its recorded
        // end (référentiel 2021-131). A login restarts none of them.
        retention: vec![
            keep(C::Identity, 36, S::LastContact, A::Delete),
            keep(C::Contact, 36, S::LastContact, A::Delete),
            keep(C::MarketingPreferences, 36, S::LastContact, A::Delete),
        ],
        security: vec![M::EncryptionAtRest, M::Pseudonymisation, M::AccessControl, M::TamperEvidentLog],
        automated_decisions: None,
    }
}

fn audience_measurement() -> ActivityInput {
    ActivityInput {
        id: "audience-measurement".into(),
        name: L::new("Mesure d'audience du site", "Website audience measurement"),
        joint_controller: None,
        purposes: vec![purpose(
            "audience-measurement",
            "Statistiques de fréquentation du site à l'aide de traceurs",
            "Website traffic statistics using trackers",
            B::Consent,
        )],
        subjects: vec![SubjectCategory::Visitors],
        data: vec![data(
            C::Other,
            "Identifiant du traceur, pages vues, date et heure, type de navigateur",
            "Tracker identifier, pages viewed, date and time, browser type",
        )],
        recipients: vec![internal("Service marketing", "Marketing staff")],
        transfers: vec![],
        // CNIL 2020-091: trackers at most 13 months, the statistics collected at most 25 months.
        retention: vec![keep(C::Other, 25, S::Collection, A::Delete)],
        security: vec![M::Pseudonymisation, M::AccessControl, M::TamperEvidentLog],
        automated_decisions: None,
    }
}

fn rights_requests() -> ActivityInput {
    ActivityInput {
        id: "rights-requests".into(),
        name: L::new("Gestion des demandes d'exercice des droits", "Handling data-protection rights requests"),
        joint_controller: None,
        purposes: vec![purpose(
            "rights-requests",
            "Répondre aux demandes d'accès, de rectification, d'effacement, d'opposition, de limitation et de portabilité",
            "Answering requests for access, rectification, erasure, objection, restriction and portability",
            B::LegalObligation,
        )],
        subjects: vec![SubjectCategory::Customers, SubjectCategory::Prospects],
        data: vec![
            data(C::Identity, "Nom, prénom", "Family and given names"),
            data(C::Contact, "Adresse e-mail", "E-mail address"),
            data(C::Other, "La demande, sa date et la réponse apportée", "The request, its date and the answer given"),
        ],
        recipients: vec![internal("Délégué à la protection des données", "Data protection officer")],
        transfers: vec![],
        retention: vec![
            keep(C::Identity, 36, S::EndOfContract, A::Delete),
            keep(C::Contact, 36, S::EndOfContract, A::Delete),
            keep(C::Other, 36, S::EndOfContract, A::Delete),
        ],
        security: measures(),
        automated_decisions: None,
    }
}

fn accounting() -> ActivityInput {
    let hold = || {
        Some(L::new(
            "Code de commerce, article L123-22 : pièces comptables conservées 10 ans",
            "French Commercial Code, art. L123-22: accounting records kept 10 years",
        ))
    };
    let held = |category| RetentionRule {
        category,
        months: 120,
        start: S::Transaction,
        action: A::Archive,
        legal_hold: hold(),
    };
    ActivityInput {
        id: "accounting".into(),
        name: L::new("Comptabilité", "Accounting"),
        joint_controller: None,
        purposes: vec![purpose(
            "accounting",
            "Tenue de la comptabilité et conservation des factures",
            "Bookkeeping and keeping invoices",
            B::LegalObligation,
        )],
        subjects: vec![SubjectCategory::Customers],
        data: vec![
            data(C::Identity, "Nom, prénom, raison sociale", "Names, company name"),
            data(C::PostalAddress, "Adresse de facturation", "Billing address"),
            data(C::Order, "Factures : produits, montants, dates", "Invoices: products, amounts, dates"),
            data(C::Payment, "Règlements", "Payments received"),
        ],
        recipients: vec![
            external("Expert-comptable, commissaire aux comptes", "Chartered accountant, auditor"),
            external("Administration fiscale, sur demande", "Tax authorities, on request"),
        ],
        transfers: vec![],
        retention: vec![held(C::Identity), held(C::PostalAddress), held(C::Order), held(C::Payment)],
        security: measures(),
        automated_decisions: None,
    }
}

fn fraud() -> ActivityInput {
    let mut p = purpose(
        "fraud-prevention",
        "Prévention de la fraude au paiement",
        "Preventing payment fraud",
        B::LegitimateInterests,
    );
    p.legitimate_interest = Some(L::new(
        "Protéger la boutique et ses clients contre les paiements frauduleux.",
        "Protecting the shop and its customers against fraudulent payments.",
    ));
    ActivityInput {
        id: "fraud-prevention".into(),
        name: L::new("Lutte contre la fraude", "Fraud prevention"),
        joint_controller: None,
        purposes: vec![p],
        subjects: vec![SubjectCategory::Customers],
        data: vec![
            data(C::Identity, "Nom, prénom", "Family and given names"),
            data(C::Contact, "Adresse e-mail, téléphone", "E-mail address, phone number"),
            data(C::PostalAddress, "Adresses de livraison et de facturation", "Delivery and billing addresses"),
            data(C::Order, "Commandes et leur historique", "Orders and their history"),
            data(C::Payment, "Résultat des contrôles de paiement", "Outcome of payment checks"),
        ],
        recipients: vec![external("Prestataire de paiement", "Payment provider")],
        transfers: vec![],
        retention: vec![
            keep(C::Identity, 12, S::Transaction, A::Delete),
            keep(C::Contact, 12, S::Transaction, A::Delete),
            keep(C::PostalAddress, 12, S::Transaction, A::Delete),
            keep(C::Order, 12, S::Transaction, A::Delete),
            keep(C::Payment, 12, S::Transaction, A::Delete),
        ],
        security: measures(),
        automated_decisions: Some(L::new(
            "Un score de risque peut suspendre une commande jusqu'à sa vérification par une personne.",
            "A risk score may hold an order until a person has checked it.",
        )),
    }
}

fn service() -> ActivityInput {
    ActivityInput {
        id: "customer-service".into(),
        name: L::new("Service client", "Customer service"),
        joint_controller: None,
        purposes: vec![purpose(
            "customer-service",
            "Répondre aux questions et réclamations des clients",
            "Answering customers' questions and complaints",
            B::Contract,
        )],
        subjects: vec![SubjectCategory::Customers, SubjectCategory::Prospects],
        data: vec![
            data(C::Identity, "Nom, prénom", "Family and given names"),
            data(C::Contact, "Adresse e-mail, téléphone", "E-mail address, phone number"),
            data(C::Order, "Commandes concernées", "Orders concerned"),
            data(C::FreeText, "Messages échangés", "Messages exchanged"),
        ],
        recipients: vec![internal("Service client", "Customer service staff")],
        transfers: vec![],
        retention: vec![
            keep(C::Identity, 36, S::LastContact, A::Delete),
            keep(C::Contact, 36, S::LastContact, A::Delete),
            keep(C::Order, 36, S::LastContact, A::Delete),
            keep(C::FreeText, 36, S::LastContact, A::Delete),
        ],
        security: measures(),
        automated_decisions: None,
    }
}
