//! What a user can paste instead of flags: a workspace GUID, a workspace-derived name or URL, a
//! studio / AI Foundry link, or the text of an error page or SDK exception. Each input yields
//! the facts it carries ([`Found`]) and is kept, with them, as a [`Derivation`] for the report.

use super::names::{has_suffix, infer, is_guid, normalize, private_name_of, public_name_of};
use super::workspace::{validate_region, validate_workspace_name};
use super::{Cloud, TargetError, TargetKind};
use serde::Serialize;
use std::sync::LazyLock;

/// The shape of one pasted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputForm {
    /// A bare workspace GUID.
    WorkspaceId,
    /// A host name (no scheme).
    Name,
    /// One URL.
    Url,
    /// A studio (`ml.azure.com`) or AI Foundry (`ai.azure.com`) link, or any text holding a
    /// workspace's Azure resource ID.
    StudioLink,
    /// Free text (an error page, an exception) in which names were found.
    Text,
}

impl InputForm {
    /// Words for the report's "derived from" line.
    pub fn describe(self) -> &'static str {
        match self {
            InputForm::WorkspaceId => "workspace ID",
            InputForm::Name => "host name",
            InputForm::Url => "URL",
            InputForm::StudioLink => "studio link",
            InputForm::Text => "pasted text",
        }
    }
}

/// The facts one input carries. Empty fields are omitted in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Found {
    /// Workspace GUID (lower case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Region (programmatic name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Workspace name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<String>,
    /// Cloud the names belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Cloud>,
    /// Resource group (studio links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Subscription ID (studio links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    /// Compute instance names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Managed online endpoint names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inference_endpoints: Vec<String>,
    /// Storage account names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub storage_accounts: Vec<String>,
    /// Every private-endpoint name found, checked exactly as given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl Found {
    /// The facts in a few words, e.g. `workspace ID fb7e…, region eastus2`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut one = |label: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{label} {v}"));
            }
        };
        one("workspace ID", &self.workspace_id);
        one("region", &self.region);
        one("workspace name", &self.workspace_name);
        one("resource group", &self.resource_group);
        for (label, vs) in [
            ("instance", &self.instances),
            ("endpoint", &self.inference_endpoints),
            ("storage account", &self.storage_accounts),
        ] {
            for v in vs {
                parts.push(format!("{label} {v}"));
            }
        }
        if parts.is_empty() && !self.names.is_empty() {
            parts.push(format!("the name {}", self.names.join(", ")));
        }
        parts.join(", ")
    }

    fn is_empty(&self) -> bool {
        *self == Found::default()
    }

    fn set(slot: &mut Option<String>, v: String) {
        if slot.is_none() {
            *slot = Some(v);
        }
    }

    fn add(list: &mut Vec<String>, v: String) {
        if !list.contains(&v) {
            list.push(v);
        }
    }
}

/// One input as given and what it yielded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// The input, without control characters, shortened to 300 characters.
    pub input: String,
    /// Its shape.
    pub form: InputForm,
    /// What it carries.
    pub found: Found,
    /// Remarks: what was ignored, what is missing and where to find it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Derivation {
    /// `workspace ID …, region … ← URL https://…` for the report.
    pub fn line(&self) -> String {
        let input: String = if self.input.chars().count() > 80 {
            let mut s: String = self.input.chars().take(79).collect();
            s.push('…');
            s
        } else {
            self.input.clone()
        };
        format!(
            "{} ← {} {input}",
            self.found.summary(),
            self.form.describe()
        )
    }
}

/// Example inputs, for help texts and prompts.
pub const EXAMPLE_INPUT: &str =
    "https://7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms/";

/// Reads one pasted input (see the module docs). Fails, naming the input, when it carries
/// nothing pe-doctor can use.
pub fn parse_input(raw: &str) -> Result<Derivation, TargetError> {
    let input = clean(raw);
    let text = input.trim();
    let bad = |reason: &str| TargetError::InvalidFlag {
        flag: "TARGET",
        value: shorten(text, 120),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(bad("empty input"));
    }
    let unbraced = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let mut d = Derivation {
        input: shorten(text, 300),
        form: InputForm::Text,
        found: Found::default(),
        notes: Vec::new(),
    };
    if is_guid(unbraced) {
        d.form = InputForm::WorkspaceId;
        d.found.workspace_id = Some(unbraced.to_ascii_lowercase());
        return Ok(d);
    }
    let single = !text.chars().any(char::is_whitespace);
    let decoded = percent_decode(text);
    let studio = resource_ids(&decoded, &mut d);
    let mut ignored = Vec::new();
    for host in hosts(&decoded) {
        if !read_host(&host, &mut d.found) && looks_like_a_site(&host) && !ignored.contains(&host) {
            ignored.push(host);
        }
    }
    d.form = if studio {
        InputForm::StudioLink
    } else if single && text.contains("://") {
        InputForm::Url
    } else if single {
        InputForm::Name
    } else {
        InputForm::Text
    };
    if d.found.is_empty() {
        if let Some(note) = d.notes.first() {
            return Err(bad(note));
        }
        return Err(bad(if ignored.is_empty() {
            "no workspace link, name or ID in it; paste a workspace URL such as \
             https://<workspace-id>.workspace.<region>.api.azureml.ms/, a studio link \
             (https://ml.azure.com/...?wsid=...), or the workspace ID"
        } else {
            "none of its names belongs to an Azure Machine Learning workspace; paste a \
             workspace URL such as https://<workspace-id>.workspace.<region>.api.azureml.ms/, \
             a studio link (https://ml.azure.com/...?wsid=...), or the workspace ID"
        }));
    }
    if !ignored.is_empty() && d.form == InputForm::Text {
        d.notes.push(format!(
            "not workspace names, not checked: {}",
            shorten(&ignored.join(", "), 200)
        ));
    }
    Ok(d)
}

/// Replaces control characters (terminal escapes included) with spaces.
fn clean(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Decodes `%XX` escapes (studio links carry the resource ID as `%2Fsubscriptions%2F…`).
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
}

static HOST: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
    regex_lite::Regex::new(r"(?i)(?:[a-z0-9](?:[a-z0-9_-]{0,62})\.)+[a-z][a-z0-9-]{0,62}[a-z]\.?")
        .ok()
});

static ML_WORKSPACE_ID: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
    regex_lite::Regex::new(
        r"(?i)/subscriptions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/resourcegroups/([a-z0-9_().-]{1,90})/providers/microsoft\.machinelearningservices/workspaces/([a-z0-9_-]{1,255})",
    )
    .ok()
});

static FOUNDRY_ACCOUNT_ID: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
    regex_lite::Regex::new(
        r"(?i)/providers/microsoft\.cognitiveservices/accounts/([a-z0-9_-]{1,64})(?:/projects/([a-z0-9_-]{1,64}))?",
    )
    .ok()
});

/// Host names in the text, lower case, each once, in order of appearance.
fn hosts(text: &str) -> Vec<String> {
    let Some(re) = HOST.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for m in re.find_iter(text) {
        // A name glued to more word characters (e.g. `a.b.c_d`) was cut out of something else.
        let before = text[..m.start()].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '@') {
            continue;
        }
        let h = normalize(m.as_str());
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

/// Whether an unused name is worth mentioning: a site name, not a file (`error.txt`) or a
/// dotted identifier from a stack trace (`azure.core.exceptions.HttpResponseError`).
fn looks_like_a_site(host: &str) -> bool {
    const TLDS: &[&str] = &[
        "com", "net", "org", "ms", "io", "us", "cn", "de", "fr", "jp", "uk",
    ];
    host.rsplit('.')
        .next()
        .is_some_and(|tld| TLDS.contains(&tld))
}

/// Azure resource IDs of workspaces (studio `wsid=`, SDK messages): name, resource group,
/// subscription. AI Foundry accounts (`Microsoft.CognitiveServices`) get a note. True when one
/// was found.
fn resource_ids(text: &str, d: &mut Derivation) -> bool {
    let mut any = false;
    if let Some(re) = ML_WORKSPACE_ID.as_ref() {
        for c in re.captures_iter(text) {
            let (Some(sub), Some(rg), Some(name)) = (c.get(1), c.get(2), c.get(3)) else {
                continue;
            };
            let Ok(name) = validate_workspace_name(name.as_str()) else {
                continue;
            };
            any = true;
            let f = &mut d.found;
            if f.workspace_name.as_ref().is_some_and(|n| *n != name) {
                d.notes.push(format!(
                    "also names workspace {name}; only the first one is diagnosed"
                ));
                continue;
            }
            Found::set(&mut f.workspace_name, name);
            Found::set(&mut f.resource_group, rg.as_str().to_string());
            Found::set(&mut f.subscription, sub.as_str().to_ascii_lowercase());
        }
    }
    if let Some(re) = FOUNDRY_ACCOUNT_ID.as_ref()
        && let Some(c) = re.captures(text)
        && let Some(acct) = c.get(1)
    {
        any = true;
        d.notes.push(format!(
            "this links to the AI Foundry resource '{}' (Microsoft.CognitiveServices), not to an \
             Azure Machine Learning workspace: paste its endpoint URL from the portal \
             (Keys and Endpoint), e.g. https://<name>.services.ai.azure.com/, to check its names",
            acct.as_str()
        ));
    }
    any
}

/// Reads one host name into `found`; false when it is no workspace-related name.
fn read_host(host: &str, found: &mut Found) -> bool {
    let public = if host.split('.').any(|l| l == "privatelink") {
        match public_name_of(host) {
            Some(p) => p,
            None => return false,
        }
    } else {
        host.to_string()
    };
    let (kind, cloud) = infer(&public);
    let labels: Vec<&str> = public.split('.').collect();
    let region_of = |l: Option<&&str>| l.and_then(|r| validate_region(r).ok());
    let ok = match kind {
        TargetKind::WorkspaceApi | TargetKind::WorkspaceCertApi => {
            match (labels.first(), region_of(labels.get(2))) {
                (Some(guid), Some(region)) => {
                    Found::set(&mut found.workspace_id, guid.to_ascii_lowercase());
                    Found::set(&mut found.region, region);
                    true
                }
                _ => false,
            }
        }
        TargetKind::Notebooks => match (labels.first(), region_of(labels.get(1))) {
            (Some(label), Some(region)) => read_notebooks_label(label, &region, found),
            _ => false,
        },
        TargetKind::ComputeInstance | TargetKind::ComputeInstanceSsh => {
            match (labels.first(), region_of(labels.get(1))) {
                (Some(ci), Some(region)) => {
                    let ci = match kind {
                        TargetKind::ComputeInstanceSsh => ci.strip_suffix("-22").unwrap_or(ci),
                        _ => ci,
                    };
                    Found::add(&mut found.instances, ci.to_string());
                    Found::set(&mut found.region, region);
                    true
                }
                _ => false,
            }
        }
        TargetKind::Inference => match (labels.first(), region_of(labels.get(1))) {
            (Some(ep), Some(region)) => {
                Found::add(&mut found.inference_endpoints, ep.to_string());
                Found::set(&mut found.region, region);
                true
            }
            _ => false,
        },
        TargetKind::StorageBlob | TargetKind::StorageFile => match labels.first() {
            Some(acct) => {
                Found::add(&mut found.storage_accounts, acct.to_string());
                true
            }
            None => false,
        },
        // An AI services (Foundry) name is checked as given.
        TargetKind::AiServices => true,
        // Other private-link names (key vault, registry...) are checked as given.
        TargetKind::Custom => {
            read_regional_host(&public, found) || {
                // A malformed workspace name (`x.workspace.r.api.azureml.ms`) is no name of one.
                let ml_zone = Cloud::ALL.into_iter().any(|c| {
                    has_suffix(&public, c.api_suffix()) || has_suffix(&public, c.notebooks_suffix())
                });
                let known = !ml_zone && private_name_of(&public).is_some();
                if known {
                    Found::add(&mut found.names, public.clone());
                }
                known
            }
        }
    };
    if ok {
        if found.cloud.is_none() {
            found.cloud = cloud;
        }
        if kind != TargetKind::Custom {
            Found::add(&mut found.names, public);
        }
    }
    ok
}

/// `<region>.api.azureml.ms` (the regional service the SDK and studio call): the region.
fn read_regional_host(host: &str, found: &mut Found) -> bool {
    for cloud in Cloud::ALL {
        if let Some(region) = host
            .strip_suffix(cloud.api_suffix())
            .and_then(|r| r.strip_suffix('.'))
            && !region.contains('.')
            && let Ok(region) = validate_region(region)
        {
            Found::set(&mut found.region, region);
            found.cloud = found.cloud.or(Some(cloud));
            return true;
        }
    }
    false
}

/// `ml-<name>-<region>-<guid>`: GUID and region always; the workspace name only when the label
/// is short enough not to have been truncated (62 characters or more may be a cut name).
fn read_notebooks_label(label: &str, region: &str, found: &mut Found) -> bool {
    let Some(rest) = label.strip_prefix("ml-") else {
        return false;
    };
    if rest.len() < 38 || !rest.is_char_boundary(rest.len() - 37) {
        return false;
    }
    let (head, guid) = rest.split_at(rest.len() - 37);
    let Some(guid) = guid.strip_prefix('-').filter(|g| is_guid(g)) else {
        return false;
    };
    let Some(name) = head
        .strip_suffix(region)
        .and_then(|h| h.strip_suffix('-'))
        .filter(|n| !n.is_empty())
    else {
        return false;
    };
    Found::set(&mut found.workspace_id, guid.to_ascii_lowercase());
    Found::set(&mut found.region, region.to_string());
    if label.len() < 62
        && let Ok(name) = validate_workspace_name(name)
    {
        Found::set(&mut found.workspace_name, name);
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const G: &str = "fb7e20a0-8891-458b-b969-55ddb3382f51";
    const SUB: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn found(input: &str) -> (InputForm, Found) {
        let d = parse_input(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (d.form, d.found)
    }

    struct Want<'a> {
        id: Option<&'a str>,
        region: Option<&'a str>,
        name: Option<&'a str>,
        instances: &'a [&'a str],
        endpoints: &'a [&'a str],
        storage: &'a [&'a str],
    }

    const NONE: Want<'static> = Want {
        id: None,
        region: None,
        name: None,
        instances: &[],
        endpoints: &[],
        storage: &[],
    };

    #[test]
    fn each_form_yields_what_it_carries() {
        let api = format!("https://{G}.workspace.eastus2.api.azureml.ms/discovery?x=1");
        let cert = format!("{}.workspace.EastUS2.cert.api.azureml.ms", G.to_uppercase());
        let nb = format!("https://ml-myws-eastus2-{G}.eastus2.notebooks.azure.net/lab/tree");
        let gov = format!("{G}.workspace.usgovvirginia.api.ml.azure.us");
        let pl = format!("{G}.workspace.westeurope.privatelink.api.azureml.ms");
        let braced = format!("{{{}}}", G.to_uppercase());
        let cases: Vec<(&str, InputForm, Want)> = vec![
            (
                G,
                InputForm::WorkspaceId,
                Want {
                    id: Some(G),
                    ..NONE
                },
            ),
            (
                &braced,
                InputForm::WorkspaceId,
                Want {
                    id: Some(G),
                    ..NONE
                },
            ),
            (
                &api,
                InputForm::Url,
                Want {
                    id: Some(G),
                    region: Some("eastus2"),
                    ..NONE
                },
            ),
            (
                &cert,
                InputForm::Name,
                Want {
                    id: Some(G),
                    region: Some("eastus2"),
                    ..NONE
                },
            ),
            (
                &nb,
                InputForm::Url,
                Want {
                    id: Some(G),
                    region: Some("eastus2"),
                    name: Some("myws"),
                    ..NONE
                },
            ),
            (
                "https://ci-alice.westeurope.instances.azureml.ms/lab?token=1",
                InputForm::Url,
                Want {
                    region: Some("westeurope"),
                    instances: &["ci-alice"],
                    ..NONE
                },
            ),
            (
                "ci-bob-22.eastus.instances.ml.azure.ms",
                InputForm::Name,
                Want {
                    region: Some("eastus"),
                    instances: &["ci-bob"],
                    ..NONE
                },
            ),
            (
                "https://score-ep.eastus2.inference.ml.azure.com/score",
                InputForm::Url,
                Want {
                    region: Some("eastus2"),
                    endpoints: &["score-ep"],
                    ..NONE
                },
            ),
            (
                "https://mystorage01.blob.core.windows.net/azureml/x.csv",
                InputForm::Url,
                Want {
                    storage: &["mystorage01"],
                    ..NONE
                },
            ),
            (
                &gov,
                InputForm::Name,
                Want {
                    id: Some(G),
                    region: Some("usgovvirginia"),
                    ..NONE
                },
            ),
            (
                &pl,
                InputForm::Name,
                Want {
                    id: Some(G),
                    region: Some("westeurope"),
                    ..NONE
                },
            ),
            (
                "https://eastus2.api.azureml.ms/history/v1.0/x",
                InputForm::Url,
                Want {
                    region: Some("eastus2"),
                    ..NONE
                },
            ),
        ];
        for (input, form, want) in cases {
            let (f_form, f) = found(input);
            assert_eq!(f_form, form, "{input}");
            assert_eq!(f.workspace_id.as_deref(), want.id, "{input}");
            assert_eq!(f.region.as_deref(), want.region, "{input}");
            assert_eq!(f.workspace_name.as_deref(), want.name, "{input}");
            assert_eq!(f.instances, want.instances, "{input}");
            assert_eq!(f.inference_endpoints, want.endpoints, "{input}");
            assert_eq!(f.storage_accounts, want.storage, "{input}");
        }
        assert_eq!(found(&gov).1.cloud, Some(Cloud::UsGov));
        // The name as given is kept, in its public form.
        assert_eq!(
            found(&pl).1.names,
            vec![format!("{G}.workspace.westeurope.api.azureml.ms")]
        );
    }

    #[test]
    fn studio_and_foundry_links() {
        let wsid = format!(
            "/subscriptions/{SUB}/resourceGroups/rg-ml_prod(1)/providers/Microsoft.MachineLearningServices/workspaces/My-WS"
        );
        let plain = format!(
            "https://ml.azure.com/runs?wsid={wsid}&tid=72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        let encoded = format!(
            "https://ml.azure.com/?wsid={}&tid=x",
            wsid.replace('/', "%2F")
                .replace('(', "%28")
                .replace(')', "%29")
        );
        let foundry = format!("https://ai.azure.com/build/overview?wsid={wsid}");
        for link in [&plain, &encoded, &foundry] {
            let d = parse_input(link).unwrap();
            assert_eq!(d.form, InputForm::StudioLink, "{link}");
            assert_eq!(d.found.workspace_name.as_deref(), Some("my-ws"), "{link}");
            assert_eq!(d.found.resource_group.as_deref(), Some("rg-ml_prod(1)"));
            assert_eq!(d.found.subscription.as_deref(), Some(SUB));
            assert_eq!(d.found.workspace_id, None);
        }
        // A new-style Foundry project is no ML workspace: said so, nothing derived.
        let acct = format!(
            "https://ai.azure.com/foundryProject/overview?wsid=/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai/projects/p1"
        );
        let e = parse_input(&acct).unwrap_err().to_string();
        assert!(e.contains("AI Foundry resource 'contoso-ai'"), "{e}");
        // ... and its endpoint URL is checked as given.
        let (form, f) = found("https://contoso-ai.services.ai.azure.com/api/projects/p1");
        assert_eq!(form, InputForm::Url);
        assert_eq!(
            f.names,
            vec!["contoso-ai.services.ai.azure.com".to_string()]
        );
        assert_eq!(f.summary(), "the name contoso-ai.services.ai.azure.com");
    }

    #[test]
    fn error_text_yields_the_workspace_names_in_it() {
        let text = format!(
            "azure.core.exceptions.HttpResponseError: (UserError) Request failed.\n\
             Code: 403\nMessage: Public access is disabled.\n\
             Request: GET https://{G}.workspace.eastus2.api.azureml.ms/mlflow/v1.0/x\n\
             Correlation: 1d2e3f40-1111-4222-8333-944455556666\n\
             See https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link and \
             https://ml-teamws-eastus2-{G}.eastus2.notebooks.azure.net/ for more."
        );
        let d = parse_input(&text).unwrap();
        assert_eq!(d.form, InputForm::Text);
        assert_eq!(d.found.workspace_id.as_deref(), Some(G));
        assert_eq!(d.found.region.as_deref(), Some("eastus2"));
        assert_eq!(d.found.workspace_name.as_deref(), Some("teamws"));
        assert_eq!(d.found.names.len(), 2);
        assert!(d.notes[0].contains("learn.microsoft.com"), "{:?}", d.notes);
        // Dotted identifiers of a stack trace are not taken for sites.
        assert!(!d.notes[0].contains("azure.core"), "{:?}", d.notes);
        // The correlation ID is not taken for the workspace.
        assert!(!d.found.summary().contains("1d2e3f40"));
        // A browser error page: the host in the address bar and some prose.
        let page = format!(
            "This site can’t be reached\r\n{G}.workspace.northeurope.api.azureml.ms’s server IP \
             address could not be found.\nDNS_PROBE_FINISHED_NXDOMAIN"
        );
        let f = parse_input(&page).unwrap().found;
        assert_eq!(f.region.as_deref(), Some("northeurope"));
    }

    #[test]
    fn near_misses_and_garbage_are_refused_or_partial() {
        let refused = [
            "",
            "   ",
            "hello world",
            "my-workspace",
            "fb7e20a0-8891-458b-b969-55ddb3382f5",
            "fb7e20a0-8891-458b-b969-55ddb3382f51x",
            "https://ml.azure.com/",
            "https://portal.azure.com/#home",
            "https://example.com/fb7e20a0-8891-458b-b969-55ddb3382f51",
            "Request ID: fb7e20a0-8891-458b-b969-55ddb3382f51 failed",
            "notaguid.workspace.eastus.api.azureml.ms",
            "ml-nohash.eastus.notebooks.azure.net",
            "\u{1b}[31mred\u{1b}[0m",
            "https://ml.azure.com/?wsid=/subscriptions/nope/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
        ];
        for input in refused {
            let e = parse_input(input).unwrap_err().to_string();
            assert!(e.starts_with("TARGET '"), "{input:?}: {e}");
            assert!(!e.contains('\u{1b}'), "{e}");
        }
        // A region label that is no region name is not taken.
        let f = parse_input(&format!("{G}.workspace.East_US.api.azureml.ms"));
        assert!(f.is_err());
        // A truncated notebooks label gives GUID and region, not a (cut) name.
        let long = "a".repeat(16);
        let label = format!("ml-{long}-eastus-{G}");
        assert_eq!(label.len(), 63);
        let (_, f) = found(&format!("{label}.eastus.notebooks.azure.net"));
        assert_eq!(f.workspace_id.as_deref(), Some(G));
        assert_eq!(f.workspace_name, None);
    }

    #[test]
    fn survives_any_input() {
        let big = format!("{G}.workspace.eastus.api.azureml.ms ").repeat(5_000);
        let inputs = [
            "ml-é-eastus-fb7e20a0-8891-458b-b969-55ddb3382f51.eastus.notebooks.azure.net"
                .to_string(),
            "%".to_string(),
            "%E2%82".to_string(),
            "ｆｂ７ｅ.workspace.eastus.api.azureml.ms".to_string(),
            "日本語のエラー: 名前を解決できません".to_string(),
            "a.".repeat(200),
            big,
        ];
        for input in &inputs {
            let _ = parse_input(input);
        }
        let d = parse_input(&inputs[6]).unwrap();
        assert_eq!(d.found.names.len(), 1);
        assert!(d.input.chars().count() <= 300);
    }

    #[test]
    fn derivation_line_and_json() {
        let d = parse_input(&format!("https://{G}.workspace.eastus2.api.azureml.ms/")).unwrap();
        assert_eq!(
            d.line(),
            format!(
                "workspace ID {G}, region eastus2 ← URL https://{G}.workspace.eastus2.api.azureml.ms/"
            )
        );
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["form"], "url");
        assert_eq!(v["found"]["workspace_id"], G);
        assert_eq!(v["found"]["cloud"], "public");
        assert!(v.get("notes").is_none());
    }
}
