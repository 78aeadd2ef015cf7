//! `fichier purpose …`, `notice …`, `consent …`, `ledger …` and `policy …`: purposes,
//! notices, consent receipts, the ledger that proves them, and the policy behind their
//! validity. No rule lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, SubjectArgs, call, rows, s};
use crate::registry;
use crate::wit::WitName;

#[derive(Subcommand)]
pub enum PurposeCmd {
    /// Declare a purpose (or change a declared one).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long)]
        title: String,
        /// Months a consent stays valid (default: the policy's for the kind).
        #[arg(long)]
        validity_months: Option<u32>,
        /// For an `email-tracking` purpose: the marketing purpose whose mails it measures.
        #[arg(long)]
        serves: Option<String>,
    },
    /// List declared purposes.
    List,
}

// WIT `consent.purpose-kind`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Kind {
    Service,
    Marketing,
    Cookie,
    Advertising,
    EmailTracking,
}

#[derive(Subcommand)]
pub enum NoticeCmd {
    /// Register the text of a notice; prints its reference.
    Add {
        /// A purpose the notice informs about (repeat for several).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[arg(long)]
        lang: String,
        /// The text file (UTF-8), hashed exactly as it is.
        #[arg(long)]
        file: PathBuf,
    },
    /// Generate the Art. 13 notice of some purposes from the register and register it.
    Generate {
        /// A purpose the notice informs about (repeat for several).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[arg(long, value_enum, default_value_t = registry::Lang::Fr)]
        lang: registry::Lang,
        /// Print the HTML rendering instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// List notice versions.
    List,
    /// Show a notice version and its text.
    Show { reference: String },
}

#[derive(Args)]
pub struct DecisionArgs {
    #[command(flatten)]
    who: SubjectArgs,
    #[arg(long)]
    purpose: String,
    /// The notice shown (required for a grant), e.g. newsletter:fr:v1.
    #[arg(long)]
    notice: Option<String>,
    #[arg(long, value_enum, default_value_t = Channel::WebForm)]
    channel: Channel,
    /// When the person decided (RFC 3339), if not now.
    #[arg(long)]
    at: Option<String>,
    /// Your id for this receipt (makes retries safe).
    #[arg(long)]
    receipt_id: Option<String>,
    /// The decision is a parent's co-consent for a minor.
    #[arg(long)]
    parent: bool,
    /// The person's age, if known.
    #[arg(long, conflicts_with = "birth_year")]
    age: Option<u8>,
    /// The person's year of birth, if known.
    #[arg(long)]
    birth_year: Option<u16>,
    /// The client's IP address (only a truncated form is kept).
    #[arg(long)]
    ip: Option<String>,
    /// The client's User-Agent (only its SHA-256 is kept).
    #[arg(long)]
    user_agent: Option<String>,
    /// The browser sent a Global Privacy Control signal.
    #[arg(long)]
    gpc: bool,
}

// WIT `consent.channel`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Channel {
    WebForm,
    CookieBanner,
    Checkout,
    Phone,
    Paper,
    Import,
}

#[derive(Subcommand)]
pub enum ConsentCmd {
    /// Record that the person gave consent.
    Grant(DecisionArgs),
    /// Record that the person refused when asked.
    Refuse(DecisionArgs),
    /// Record that the person took consent back.
    Withdraw(DecisionArgs),
    /// Where the person stands for every declared purpose.
    Status(SubjectArgs),
    /// Every receipt of the person, in chain order.
    History(SubjectArgs),
    /// The one-click unsubscribe link of a person and purpose, for a mail (RFC 8058): its
    /// token, the URL and the two headers to put in the mail.
    UnsubscribeLink {
        #[command(flatten)]
        who: SubjectArgs,
        #[arg(long)]
        purpose: String,
        /// Where the shop serves fichier's REST face, e.g. https://shop.example
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// The links of one mail of a campaign for a person: the tracking pixel (when an
    /// email-tracking purpose serves the marketing purpose) and the unsubscribe URL.
    MailLinks {
        #[command(flatten)]
        who: SubjectArgs,
        /// The campaign (1–32 characters of A-Z a-z 0-9 - _ .).
        #[arg(long)]
        campaign: String,
        /// The marketing purpose of the mail.
        #[arg(long)]
        purpose: String,
        /// Where the shop serves fichier's REST face, e.g. https://shop.example
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// The reference of a logged-in customer for the cookie banner's tag
    /// (`data-customer="…"`): a choice made with it applies on the customer's other devices.
    CustomerReference {
        #[command(flatten)]
        who: SubjectArgs,
    },
    /// Opens counted per day and campaign (only opens of people whose tracking consent stood).
    Opens {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (at most 366 days after `from`).
        #[arg(long)]
        to: String,
    },
    /// Subscribers of a marketing purpose without a standing email-tracking consent, and
    /// the cut-over date after which their opens must not be counted.
    TrackingToAsk {
        #[arg(long)]
        purpose: String,
        /// Continue after this subject id (the previous page's `next`).
        #[arg(long)]
        cursor: Option<String>,
        /// Subjects looked at (1–1000).
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Follow an unsubscribe token (as the mail client's one-click POST does).
    Unsubscribe { token: String },
    /// Confirm a sign-up with the token of its confirmation message (double opt-in).
    Confirm { token: String },
}

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// Walk every chain and anchor; exit 1 naming the first receipt that does not match.
    Verify,
    /// Record an anchor over all chain heads (publish its root elsewhere).
    Anchor,
    /// List anchors.
    Anchors,
}

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// The policy in force.
    Show,
    /// Every version of the policy.
    History,
    /// Replace the policy with a JSON file (the `policy-input` record).
    Set {
        #[arg(long)]
        file: PathBuf,
    },
}

pub fn purpose(c: &PurposeCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    match c {
        PurposeCmd::Add { id, kind, title, validity_months, serves } => {
            let input = json!({
                "id": id, "kind": kind.wit(), "title": title, "validity-months": validity_months, "serves": serves,
            });
            let p = call(rt, "consent", "declare-purpose", &[actor, input])?;
            Output::new(&p, format!("purpose {} ({}), revision {}", s(&p["id"]), s(&p["kind"]), p["revision"]))
        }
        PurposeCmd::List => {
            let list = call(rt, "consent", "list-purposes", &[actor])?;
            let lines = rows(&list, |p| {
                format!("{:<24} {:<12} rev {:<3} {}", s(&p["id"]), s(&p["kind"]), p["revision"], s(&p["title"]))
            });
            Output::new(&list, lines)
        }
    }
    .done(as_json)
}

/// `notice …`; `notice add` reads its text before the store is opened.
pub fn notice(
    c: &NoticeCmd,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let text = match c {
        NoticeCmd::Add { file, .. } => Some(crate::call::read_text(file)?),
        _ => None,
    };
    let rt = runtime()?;
    match c {
        NoticeCmd::Add { purposes, lang, .. } => {
            let input = json!({"purposes": purposes, "lang": lang, "text": text.unwrap_or_default()});
            let n = call(&rt, "consent", "register-notice", &[actor, input])?;
            Output::new(&n, s(&n["reference"]))
        }
        NoticeCmd::Generate { purposes, lang, html } => {
            return registry::generate_notice(&rt, actor, purposes, *lang, *html, as_json);
        }
        NoticeCmd::List => {
            let list = call(&rt, "consent", "list-notices", &[actor])?;
            Output::new(&list, rows(&list, |n| format!("{:<40} sha256 {}", s(&n["reference"]), s(&n["sha256"]))))
        }
        NoticeCmd::Show { reference } => {
            let r = call(&rt, "consent", "get-notice", &[actor, json!(reference)])?;
            Output::new(&r, format!("{} (sha256 {})\n\n{}", s(&r[0]["reference"]), s(&r[0]["sha256"]), s(&r[1])))
        }
    }
    .done(as_json)
}

pub fn consent(c: &ConsentCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let (decision, d) = match c {
        ConsentCmd::Grant(d) => ("grant", d),
        ConsentCmd::Refuse(d) => ("refuse", d),
        ConsentCmd::Withdraw(d) => ("withdraw", d),
        ConsentCmd::Status(who) => {
            let st = call(rt, "consent", "status", &[actor, who.json()?])?;
            let mut lines = format!("subject {}", s(&st["subject"]));
            for p in st["purposes"].as_array().into_iter().flatten() {
                lines.push_str(&format!(
                    "\n  {:<24} {:<26} {}{}",
                    s(&p["purpose"]),
                    s(&p["state"]),
                    s(&p["reason"]),
                    p["receipt"].as_str().map(|r| format!(" [receipt {r}]")).unwrap_or_default()
                ));
            }
            return Output::new(&st, lines).done(as_json);
        }
        ConsentCmd::UnsubscribeLink { who, purpose, base_url } => {
            let token = call(rt, "consent", "unsubscribe-link", &[actor, who.json()?, json!(purpose)])?;
            let url = format!("{}/v1/unsubscribe/{}", base_url.trim_end_matches('/'), s(&token));
            let human = format!("List-Unsubscribe: <{url}>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click");
            return Output::new(&json!({"token": token, "url": url}), human).done(as_json);
        }
        ConsentCmd::MailLinks { who, campaign, purpose, base_url } => {
            let l = call(rt, "consent", "mint-mail-links", &[actor, who.json()?, json!(campaign), json!(purpose)])?;
            let base = base_url.trim_end_matches('/');
            let pixel = l["pixel"]["path"].as_str().map(|p| format!("{base}{p}"));
            let unsubscribe = format!("{base}{}", s(&l["unsubscribe"]["path"]));
            let human = format!(
                "pixel: {}\nList-Unsubscribe: <{unsubscribe}>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click",
                pixel.as_deref().unwrap_or("none (no email-tracking purpose serves this purpose)")
            );
            return Output::new(&json!({"pixel": pixel, "unsubscribe": unsubscribe}), human).done(as_json);
        }
        ConsentCmd::CustomerReference { who } => {
            let r = call(rt, "consent", "mint-customer-reference", &[actor, who.json()?])?;
            let human = format!("data-customer=\"{}\" (valid until {})", s(&r["token"]), s(&r["expires-at"]));
            return Output::new(&r, human).done(as_json);
        }
        ConsentCmd::Opens { from, to } => {
            let list = call(rt, "consent", "opens", &[actor, json!(from), json!(to)])?;
            let lines = rows(&list, |o| format!("{} {:<32} {}", s(&o["day"]), s(&o["campaign"]), o["opens"]));
            return Output::new(&list, lines).done(as_json);
        }
        ConsentCmd::TrackingToAsk { purpose, cursor, limit } => {
            let p = call(rt, "consent", "tracking-to-ask", &[actor, json!(purpose), json!(cursor), json!(limit)])?;
            let mut lines = format!(
                "{} subscriber(s) of {} without an email-tracking consent ({}); their opens must not be counted \
                 after {}{}",
                p["subjects"].as_array().map_or(0, Vec::len),
                s(&p["purpose"]),
                p["tracking"].as_array().map(|t| t.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
                s(&p["cutover"]),
                if p["past-cutover"] == json!(true) { " (passed)" } else { "" }
            );
            for id in p["subjects"].as_array().into_iter().flatten() {
                lines.push_str(&format!("\n  {}", s(id)));
            }
            if let Some(next) = p["next"].as_str() {
                lines.push_str(&format!("\nmore: --cursor {next}"));
            }
            return Output::new(&p, lines).done(as_json);
        }
        ConsentCmd::Unsubscribe { token } | ConsentCmd::Confirm { token } => {
            let f = if matches!(c, ConsentCmd::Confirm { .. }) { "confirm" } else { "unsubscribe" };
            let a = call(rt, "consent", f, &[actor, json!(token)])?;
            return Output::new(&a, s(&a["outcome"])).done(as_json);
        }
        ConsentCmd::History(who) => {
            let h = call(rt, "consent", "history", &[actor, who.json()?])?;
            let lines = rows(&h, |r| {
                format!(
                    "#{:<4} {} {:<9} {:<20} via {:<13} {} {}",
                    r["seq"],
                    s(&r["at"]),
                    s(&r["decision"]),
                    s(&r["purpose"]),
                    s(&r["channel"]),
                    s(&r["id"]),
                    &s(&r["hash"])[..12.min(s(&r["hash"]).len())]
                )
            });
            return Output::new(&h, lines).done(as_json);
        }
    };
    let age = match (d.age, d.birth_year) {
        (Some(a), _) => json!({"tag": "age", "val": a}),
        (None, Some(y)) => json!({"tag": "birth-year", "val": y}),
        (None, None) => Value::Null,
    };
    let input = json!({
        "subject": d.who.json()?,
        "purpose": d.purpose,
        "decision": decision,
        "given-by": if d.parent { "parent" } else { "subject" },
        "channel": d.channel.wit(),
        "notice": d.notice,
        "at": d.at,
        "receipt-id": d.receipt_id,
        "client-ip": d.ip,
        "user-agent": d.user_agent,
        "gpc": d.gpc,
        "age": age,
    });
    let r = call(rt, "consent", "record-decision", &[actor, input])?;
    Output::new(
        &r,
        format!(
            "receipt {} recorded (#{} of subject {}, hash {})",
            s(&r["id"]),
            r["seq"],
            s(&r["subject"]),
            s(&r["hash"])
        ),
    )
    .done(as_json)
}

pub fn ledger(c: &LedgerCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    match c {
        LedgerCmd::Verify => {
            let r = call(rt, "ledger", "verify", &[actor])?;
            let ok = r["ok"] == json!(true);
            let human = if ok {
                format!(
                    "ledger intact: {} subjects, {} receipts, {} anchors",
                    r["subjects"], r["receipts"], r["anchors"]
                )
            } else {
                let f = &r["failure"];
                format!(
                    "LEDGER BROKEN: {} (rule {}; subject {}, receipt {})",
                    s(&f["message"]),
                    s(&f["rule"]),
                    s(&f["subject"]),
                    s(&f["receipt"])
                )
            };
            Output::new(&r, human).print(as_json);
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        LedgerCmd::Anchor => {
            let a = call(rt, "ledger", "take-anchor", &[actor])?;
            Output::new(
                &a,
                format!(
                    "anchor {} at {}: {} subjects, {} receipts\nroot {}",
                    a["seq"],
                    s(&a["at"]),
                    a["subjects"],
                    a["receipts"],
                    s(&a["root"])
                ),
            )
            .done(as_json)
        }
        LedgerCmd::Anchors => {
            let list = call(rt, "ledger", "list-anchors", &[actor])?;
            Output::new(&list, rows(&list, |a| format!("{:>5} {} {}", a["seq"], s(&a["at"]), s(&a["root"]))))
                .done(as_json)
        }
    }
}

/// `policy …`; `policy set` reads and parses its file before the store is opened.
pub fn policy(
    c: &PolicyCmd,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let input = match c {
        PolicyCmd::Set { file } => Some(crate::call::read_json(file)?),
        _ => None,
    };
    let rt = runtime()?;
    match c {
        PolicyCmd::Show => {
            let p = call(&rt, "settings", "get-policy", &[actor])?;
            Output::new(&p, serde_json::to_string_pretty(&p).unwrap_or_default())
        }
        PolicyCmd::History => {
            let list = call(&rt, "settings", "policy-history", &[actor])?;
            Output::new(
                &list,
                rows(&list, |p| format!("v{} {} by {}", p["version"], s(&p["changed-at"]), s(&p["changed-by"]["id"]))),
            )
        }
        PolicyCmd::Set { .. } => {
            let p = call(&rt, "settings", "set-policy", &[actor, input.unwrap_or_default()])?;
            Output::new(&p, format!("policy version {}", p["version"]))
        }
    }
    .done(as_json)
}
