//! One spelling of WIT names: a clap value's name is the WIT name it stands for
//! (`#[value(rename_all = "kebab-case")]`, the WIT's own case), and the call's JSON takes
//! it from there ([`WitName::wit`]).

use clap::ValueEnum;

/// A command-line value spelled as its WIT case.
pub trait WitName: ValueEnum {
    /// The WIT spelling: the value's name on the command line.
    fn wit(&self) -> String {
        self.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default()
    }
}

impl<T: ValueEnum> WitName for T {}
