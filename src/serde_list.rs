//! Lists that their writers may give as one value: a TOML settings key (`storage-account = "x"`)
//! or a PowerShell object (`ConvertTo-Json` prints a one-element array as the element and an
//! empty one as `null`).

use serde::{Deserialize, Deserializer};

/// A list, one value standing for a list of one, or `null` for none.
pub fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        None(()),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(x)) => vec![x],
        Some(OneOrMany::None(())) | None => Vec::new(),
    })
}
