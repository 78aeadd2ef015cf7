//! `fichier registry …`, `fichier notice generate` and `fichier breach …`: the registers'
//! commands. Input files are read and parsed before the store is opened, so a typo
//! leaves nothing behind. No rule lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, call, findings, read_json, rows, s, write_file, write_stdout};
use crate::wit::WitName;

#[derive(Subcommand)]
pub enum RegistryCmd {
    /// Load the e-shop defaults of the CNIL référentiel (existing activities are kept).
    Init {
        /// The e-shop defaults (the only set there is; required so the intent is explicit).
        #[arg(long, required = true)]
        shop: bool,
    },
    /// Show the organisation, or set it from a JSON file (the `organisation` record).
    Organisation {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Create or change an activity from a JSON file (the `activity-input` record).
    Put { file: PathBuf },
    /// List activities.
    List {
        /// Include retired activities.
        #[arg(long)]
        all: bool,
    },
    /// Show one activity (JSON).
    Show { id: String },
    /// Retire an activity (kept in the history, out of exports and checks).
    Retire {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// The history of changes (who, what, when).
    History {
        /// `organisation` or an activity id.
        #[arg(long)]
        target: Option<String>,
    },
    /// Export the register: JSON, CSV (CNIL template columns) or HTML (CNIL template shape).
    Export {
        #[arg(long, value_enum)]
        format: Format,
        #[arg(long, value_enum, default_value_t = Lang::Fr)]
        lang: Lang,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the register against the consent catalogue and the customer file (exit 1 on a
    /// blocking gap).
    Check,
    /// The lawful-basis assistant: answer its questions with flags.
    Basis(BasisArgs),
}

// WIT `registry.export-format`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Format {
    Json,
    Csv,
    Html,
}

// WIT `registry.lang`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Lang {
    Fr,
    En,
}

#[derive(Args)]
pub struct BasisArgs {
    /// Art. 9 special categories or Art. 10 offences.
    #[arg(long)]
    special_categories: bool,
    /// Reads or writes on the person's device beyond what the service strictly needs.
    #[arg(long)]
    device_access: bool,
    /// Marketing by e-mail or SMS.
    #[arg(long)]
    electronic_marketing: bool,
    /// …to existing customers about products similar to those they bought.
    #[arg(long)]
    existing_customers_similar_products: bool,
    /// A law requires it.
    #[arg(long)]
    required_by_law: bool,
    /// The contract the person asked for cannot be performed without it.
    #[arg(long)]
    needed_for_contract: bool,
    /// Needed to protect someone's life.
    #[arg(long)]
    vital_interest: bool,
    /// A task in the public interest laid down by law.
    #[arg(long)]
    public_task: bool,
    /// The person can reasonably expect it and it affects them little.
    #[arg(long)]
    expected_low_impact: bool,
    #[arg(long, value_enum, default_value_t = Lang::Fr)]
    lang: Lang,
}

#[derive(Subcommand)]
pub enum BreachCmd {
    /// Document a breach from a JSON file (the `breach-input` record).
    Record { file: PathBuf },
    /// Correct or complete a breach's facts from a JSON file.
    Update { id: String, file: PathBuf },
    /// Record the notification to the CNIL.
    Notify {
        id: String,
        /// When it was notified (RFC 3339).
        #[arg(long)]
        at: String,
        #[arg(long)]
        reference: Option<String>,
        /// Required when notified after 72 hours.
        #[arg(long)]
        delay_reason: Option<String>,
    },
    /// Record that the people were told, or why not: which Art. 34(3) exception applies.
    Inform {
        id: String,
        #[arg(long, group = "informed", required = true)]
        told_at: Option<String>,
        #[arg(long, group = "informed", required = true)]
        not_told: Option<String>,
        /// Art. 34(3)(a): how the data are unintelligible (e.g. encrypted, key safe).
        #[arg(long, group = "informed", required = true)]
        unintelligible: Option<String>,
        /// Art. 34(3)(b): the measures that make the high risk no longer likely.
        #[arg(long, group = "informed", required = true)]
        later_measures: Option<String>,
        /// Art. 34(3)(c): why telling each person would take disproportionate effort.
        #[arg(long, group = "informed", required = true)]
        disproportionate_effort: Option<String>,
        /// With --disproportionate-effort: when the public communication was made (RFC 3339).
        #[arg(long, requires = "disproportionate_effort", requires = "public_medium")]
        public_at: Option<String>,
        /// With --disproportionate-effort: where it was made (home page notice, press release…).
        #[arg(long, requires = "public_at")]
        public_medium: Option<String>,
    },
    /// Tell the people (Art. 34): a message per person in the outbox (--email, repeat).
    NotifyPeople {
        id: String,
        #[arg(long = "email", required = true)]
        emails: Vec<String>,
        #[arg(long, value_enum, default_value_t = Lang::Fr)]
        lang: Lang,
    },
    /// List breaches (exit 1 when a notification is overdue).
    List {
        /// Only those whose notification is overdue.
        #[arg(long)]
        overdue: bool,
    },
    /// Show one breach (JSON).
    Show { id: String },
}

fn activity_line(a: &Value) -> String {
    let d = &a["definition"];
    let retired = if a["retired"].is_null() { "" } else { " (retired)" };
    format!("{:<24} rev {:<3} {}{retired}", s(&d["id"]), a["revision"], s(&d["name"]["fr"]))
}

pub fn registry(
    c: &RegistryCmd,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let input = match c {
        RegistryCmd::Organisation { file: Some(f) } | RegistryCmd::Put { file: f } => Some(read_json(f)?),
        _ => None,
    };
    let rt = runtime()?;
    let out = match c {
        RegistryCmd::Init { .. } => {
            let ids = call(&rt, "registry", "load-shop-defaults", &[actor])?;
            let n = ids.as_array().map_or(0, Vec::len);
            Output::new(
                &ids,
                if n == 0 {
                    "every default activity is already in the register".into()
                } else {
                    format!("{n} activities created: {}", rows(&ids, s).replace('\n', ", "))
                },
            )
        }
        RegistryCmd::Organisation { file: None } => {
            let o = call(&rt, "registry", "get-organisation", &[actor])?;
            Output::new(
                &o,
                if o.is_null() { "(not set)".into() } else { serde_json::to_string_pretty(&o).unwrap_or_default() },
            )
        }
        RegistryCmd::Organisation { file: Some(_) } => {
            let o = call(&rt, "registry", "set-organisation", &[actor, input.unwrap_or_default()])?;
            Output::new(&o, format!("organisation: {}", s(&o["controller"]["name"])))
        }
        RegistryCmd::Put { .. } => {
            let a = call(&rt, "registry", "put-activity", &[actor, input.unwrap_or_default()])?;
            Output::new(&a, activity_line(&a))
        }
        RegistryCmd::List { all } => {
            let list = call(&rt, "registry", "list-activities", &[actor, json!(all)])?;
            Output::new(&list, rows(&list, activity_line))
        }
        RegistryCmd::Show { id } => {
            let a = call(&rt, "registry", "get-activity", &[actor, json!(id)])?;
            Output::new(&a, serde_json::to_string_pretty(&a).unwrap_or_default())
        }
        RegistryCmd::Retire { id, reason } => {
            let a = call(&rt, "registry", "retire-activity", &[actor, json!(id), json!(reason)])?;
            Output::new(&a, activity_line(&a))
        }
        RegistryCmd::History { target } => {
            let list = call(&rt, "registry", "history", &[actor, json!(target)])?;
            Output::new(
                &list,
                rows(&list, |c| {
                    let fields: Vec<String> = c["fields"].as_array().into_iter().flatten().map(s).collect();
                    format!(
                        "{:>4} {} {:<10} {:<24} by {} ({})",
                        c["sequence"],
                        s(&c["at"]),
                        s(&c["action"]),
                        s(&c["target"]),
                        s(&c["actor"]["id"]),
                        fields.join(", ")
                    )
                }),
            )
        }
        RegistryCmd::Export { format, lang, out } => {
            let text = call(&rt, "registry", "export", &[actor, json!(format.wit()), json!(lang.wit())])?;
            let text = text.as_str().unwrap_or_default();
            match out {
                Some(path) => write_file(path, text.as_bytes())?,
                // The export is the output, in both modes.
                None => write_stdout(text.as_bytes()),
            }
            return Ok(ExitCode::SUCCESS);
        }
        RegistryCmd::Check => {
            let r = call(&rt, "registry", "check", &[actor])?;
            let block = |f: &Value| {
                format!(
                    "{:<5} {:<28} {:<28} {}\n      {}\n      fix: {}",
                    s(&f["severity"]),
                    s(&f["target"]),
                    s(&f["rule"]),
                    s(&f["source"]),
                    s(&f["message"]),
                    s(&f["fix"])
                )
            };
            return findings(&r, block, as_json);
        }
        RegistryCmd::Basis(b) => {
            let answers = json!({
                "special-categories": b.special_categories,
                "device-access": b.device_access,
                "electronic-marketing": b.electronic_marketing,
                "existing-customers-similar-products": b.existing_customers_similar_products,
                "required-by-law": b.required_by_law,
                "needed-for-contract": b.needed_for_contract,
                "vital-interest": b.vital_interest,
                "public-task": b.public_task,
                "expected-low-impact": b.expected_low_impact,
            });
            let a = call(&rt, "registry", "assist-basis", &[actor, answers, json!(b.lang.wit())])?;
            let list = |v: &Value| rows(v, |x| format!("  - {}", s(x)));
            Output::new(
                &a,
                format!(
                    "basis: {}\nwhy:\n{}\nobligations:\n{}\nwarnings:\n{}",
                    s(&a["basis"]),
                    list(&a["reasoning"]),
                    list(&a["obligations"]),
                    list(&a["warnings"])
                ),
            )
        }
    };
    out.done(as_json)
}

/// `fichier notice generate`: the Art. 13 notice for some purposes, registered.
pub fn generate_notice(
    rt: &Runtime,
    actor: Value,
    purposes: &[String],
    lang: Lang,
    html: bool,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let g = call(rt, "registry", "generate-notice", &[actor, json!(purposes), json!(lang.wit())])?;
    let body = if html { s(&g["html"]) } else { s(&g["text"]) };
    let human = format!("{} (sha256 {})\n\n{body}", s(&g["notice"]["reference"]), s(&g["notice"]["sha256"]));
    Output::new(&g, human).done(as_json)
}

fn breach_line(b: &Value) -> String {
    let mut flags = Vec::new();
    if b["overdue"] == json!(true) {
        flags.push("CNIL NOTIFICATION OVERDUE");
    } else if b["notification-due"] == json!(true) {
        flags.push("CNIL notification due");
    }
    if b["people-due"] == json!(true) {
        flags.push("people to be told");
    }
    if b["public-communication-due"] == json!(true) {
        flags.push("public communication to be made (Art. 34(3)(c))");
    }
    format!(
        "{} discovered {} deadline {} risk {:<8} {}",
        s(&b["id"]),
        s(&b["facts"]["discovered-at"]),
        s(&b["deadline"]),
        s(&b["facts"]["risk"]),
        flags.join("; ")
    )
}

pub fn breach(
    c: &BreachCmd,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let input = match c {
        BreachCmd::Record { file } | BreachCmd::Update { file, .. } => Some(read_json(file)?),
        _ => None,
    };
    let rt = runtime()?;
    let b = match c {
        BreachCmd::Record { .. } => call(&rt, "breaches", "record-breach", &[actor, input.unwrap_or_default()])?,
        BreachCmd::Update { id, .. } => {
            call(&rt, "breaches", "update-breach", &[actor, json!(id), input.unwrap_or_default()])?
        }
        BreachCmd::Notify { id, at, reference, delay_reason } => {
            call(&rt, "breaches", "notify-cnil", &[actor, json!(id), json!(at), json!(reference), json!(delay_reason)])?
        }
        BreachCmd::Inform {
            id,
            told_at,
            not_told,
            unintelligible,
            later_measures,
            disproportionate_effort,
            public_at,
            public_medium,
        } => {
            let public = match (public_at, public_medium) {
                (Some(at), Some(medium)) => json!({"at": at, "medium": medium}),
                _ => Value::Null,
            };
            let informed = if let Some(at) = told_at {
                json!({"tag": "told", "val": at})
            } else if let Some(why) = not_told {
                json!({"tag": "not-told", "val": why})
            } else if let Some(how) = unintelligible {
                json!({"tag": "unintelligible", "val": how})
            } else if let Some(which) = later_measures {
                json!({"tag": "later-measures", "val": which})
            } else if let Some(reason) = disproportionate_effort {
                json!({"tag": "disproportionate-effort", "val": {"reason": reason, "public-communication": public}})
            } else {
                return Err(Failure::Host(
                    "give --told-at, --not-told, --unintelligible, --later-measures or --disproportionate-effort"
                        .into(),
                ));
            };
            call(&rt, "breaches", "inform-people", &[actor, json!(id), informed])?
        }
        BreachCmd::NotifyPeople { id, emails, lang } => {
            let subjects: Vec<Value> = emails.iter().map(|e| json!({"tag": "email", "val": e})).collect();
            let r = call(&rt, "breaches", "notify-people", &[actor, json!(id), json!(subjects), json!(lang.wit())])?;
            let count = |k: &str| r[k].as_array().map_or(0, Vec::len);
            let mut human = format!("{} messages queued in the outbox", count("queued"));
            for s in r["unreachable"].as_array().into_iter().flatten() {
                human.push_str(&format!(
                    "\n  no e-mail known for {}: reach them another way",
                    s.as_str().unwrap_or_default()
                ));
            }
            return Output::new(&r, human).done(as_json);
        }
        BreachCmd::List { overdue } => {
            let list = call(&rt, "breaches", "list-breaches", &[actor, json!(overdue)])?;
            let late = list.as_array().into_iter().flatten().any(|b| b["overdue"] == json!(true));
            Output::new(&list, rows(&list, breach_line)).print(as_json);
            return Ok(if late { ExitCode::from(1) } else { ExitCode::SUCCESS });
        }
        BreachCmd::Show { id } => {
            let b = call(&rt, "breaches", "get-breach", &[actor, json!(id)])?;
            return Output::new(&b, serde_json::to_string_pretty(&b).unwrap_or_default()).done(as_json);
        }
    };
    Output::new(&b, breach_line(&b)).done(as_json)
}
