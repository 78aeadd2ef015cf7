//! One spelling of WIT names: a clap value's name is the WIT name it stands for
//! (`#[value(rename_all = "kebab-case")]`, the WIT's own case), and the call's JSON takes
//! it from there ([`WitName::wit`]). A test holds every `ValueEnum` of the CLI to the
//! WIT in `wit/`, so a WIT change breaks a test, not a user.

use clap::ValueEnum;

/// A command-line value spelled as its WIT case.
pub trait WitName: ValueEnum {
    /// The WIT spelling: the value's name on the command line.
    fn wit(&self) -> String {
        self.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default()
    }
}

impl<T: ValueEnum> WitName for T {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use clap::ValueEnum;
    use wit_parser::{PackageId, Resolve, TypeDefKind};

    use super::WitName;
    use crate::{audit, consent, customers, registry, rights};

    /// What a CLI enum stands for.
    enum Stands {
        /// Every case of this WIT enum or variant (interface, type), but those named
        /// (a subset offered on purpose).
        For(&'static str, &'static str, &'static [&'static str]),
        /// Nothing in the WIT: a choice the host itself acts on.
        HostOnly,
    }

    /// Every clap `ValueEnum` of the CLI (`module::Name`) and what it stands for.
    fn value_enums() -> Vec<(&'static str, Vec<String>, Stands)> {
        fn names<T: ValueEnum + WitName>() -> Vec<String> {
            T::value_variants().iter().map(WitName::wit).collect()
        }
        vec![
            ("main::Role", names::<crate::Role>(), Stands::For("types", "role", &[])),
            ("consent::Kind", names::<consent::Kind>(), Stands::For("consent", "purpose-kind", &[])),
            ("consent::Channel", names::<consent::Channel>(), Stands::For("consent", "channel", &["email-link"])),
            ("customers::EventKind", names::<customers::EventKind>(), Stands::For("customers", "customer-event", &[])),
            ("registry::Format", names::<registry::Format>(), Stands::For("registry", "export-format", &[])),
            ("registry::Lang", names::<registry::Lang>(), Stands::For("registry", "lang", &[])),
            ("rights::Kind", names::<rights::Kind>(), Stands::For("rights", "request-kind", &[])),
            ("rights::Channel", names::<rights::Channel>(), Stands::For("rights", "request-channel", &[])),
            // The audit export is written by the host from `audit.entries` (JSON or CSV).
            ("audit::Format", names::<audit::Format>(), Stands::HostOnly),
        ]
    }

    /// The cases of `interface`'s enum or variant `name` in fichier's package, as `wit/`
    /// declares them.
    fn wit_cases(resolve: &Resolve, fichier: PackageId, interface: &str, name: &str) -> Vec<String> {
        let iface = resolve.packages[fichier]
            .interfaces
            .get(interface)
            .unwrap_or_else(|| panic!("wit/: no interface {interface}"));
        let ty =
            resolve.interfaces[*iface].types.get(name).unwrap_or_else(|| panic!("wit/: no type {interface}.{name}"));
        match &resolve.types[*ty].kind {
            TypeDefKind::Enum(e) => e.cases.iter().map(|c| c.name.clone()).collect(),
            TypeDefKind::Variant(v) => v.cases.iter().map(|c| c.name.clone()).collect(),
            other => panic!("wit/: {interface}.{name} is a {}, not an enum or a variant", other.as_str()),
        }
    }

    #[test]
    fn every_value_enum_spells_the_cases_of_the_wit_type_it_stands_for() {
        let mut resolve = Resolve::default();
        let (fichier, _) = resolve.push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit")).unwrap();
        for (cli, names, stands) in value_enums() {
            let Stands::For(interface, name, left_out) = stands else { continue };
            let wit: BTreeSet<String> = wit_cases(&resolve, fichier, interface, name)
                .into_iter()
                .filter(|c| !left_out.contains(&c.as_str()))
                .collect();
            let offered: BTreeSet<String> = names.into_iter().collect();
            assert_eq!(
                offered, wit,
                "{cli} (the CLI's values) against {interface}.{name} (wit/, less {left_out:?}): a value must be spelled \
                 as its WIT case, and every case offered"
            );
        }
    }

    /// The `ValueEnum`s declared in this binary's sources, as `module::Name`.
    fn declared_value_enums() -> BTreeSet<String> {
        // The modules' files, those of a module's own directory (`scan/`) included.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/fichier");
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut found = BTreeSet::new();
        for path in files {
            let module = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let mut derived = false;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[derive(") && line.contains("ValueEnum") {
                    derived = true;
                } else if derived && let Some((_, rest)) = line.split_once("enum ") {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    found.insert(format!("{module}::{name}"));
                    derived = false;
                }
            }
        }
        found
    }

    #[test]
    fn every_value_enum_of_the_cli_is_held_to_the_wit() {
        let listed: BTreeSet<String> = value_enums().into_iter().map(|(cli, _, _)| cli.to_owned()).collect();
        assert_eq!(declared_value_enums(), listed, "list every clap ValueEnum in value_enums(), with its WIT type");
    }
}
