//! Every stored document decoder (and the sealed customer body's) on arbitrary bytes:
//! a typed error or a value, never a panic.
use fichier_domain::consent::ledger::*;
use fichier_domain::consent::notices::*;
use fichier_domain::consent::purposes::*;
use fichier_domain::consent::receipts::*;
use fichier_domain::customers::*;
use fichier_domain::kernel::directory::*;
use fichier_domain::kernel::keys::*;
use fichier_domain::kernel::policy::*;
use fichier_domain::kernel::store::decode;
use fichier_domain::registry::breaches::*;
use fichier_domain::registry::*;

/// Decode `data` as every kind of stored document.
pub fn stored_documents(data: &[u8]) {
    let _ = decode::<SubjectHead>("k", data);
    let _ = decode::<ReceiptEntry>("k", data);
    let _ = decode::<PolicyDoc>("k", data);
    let _ = decode::<PurposeCatalogue>("k", data);
    let _ = decode::<NoticeCatalogue>("k", data);
    let _ = decode::<NoticeText>("k", data);
    let _ = decode::<SubjectShard>("k", data);
    let _ = decode::<AnchorHead>("k", data);
    let _ = decode::<AnchorDoc>("k", data);
    let _ = decode::<AnchorLeaves>("k", data);
    let _ = decode::<KeyCheck>("k", data);
    let _ = decode::<WrappedKey>("k", data);
    let _ = decode::<CustomerDoc>("k", data);
    let _ = decode::<AliasDoc>("k", data);
    let _ = decode::<RegistryDoc>("k", data);
    let _ = decode::<BreachRegister>("k", data);
    let _ = decode::<fichier_domain::audit::AuditSegment>("k", data);
    let _ = decode::<fichier_domain::audit::AuditHead>("k", data);
    let _ = decode::<fichier_domain::audit::AuditCheckpoint>("k", data);
    let _ = decode::<fichier_domain::rights::RequestRegister>("k", data);
    let _ = decode::<fichier_domain::outbox::Outbox>("k", data);
    let _ = decode::<fichier_domain::rights::erasure::ErasureMark>("k", data);
    let _ = decode::<fichier_domain::rights::erasure::HeldDoc>("k", data);
    let _ = decode::<fichier_domain::rights::erasure::HoldSchedule>("k", data);
    let _ = decode::<fichier_domain::rights::restriction::OppositionEntry>("k", data);
    let _ = fichier_domain::customers::decode_body(data);
}
