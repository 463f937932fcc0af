//! Hand-written `serde` structs for the proto3 JSON of a template page: the
//! least work a JSON client could do for the same bytes. Timestamps stay
//! strings, and `null` or unknown enum names get no special handling.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// `ListProfileTemplatesResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplatePage {
    #[serde(default)]
    pub(crate) profile_templates: Vec<Template>,
    #[serde(default)]
    pub(crate) next_page_token: String,
}

/// `ProfileTemplate`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Template {
    #[serde(default)]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) organization_id: String,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) spec: Option<Spec>,
    #[serde(default)]
    pub(crate) labels: HashMap<String, String>,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) updated_at: Option<String>,
}

/// `ProfileSpec`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Spec {
    #[serde(default)]
    pub(crate) container_image: String,
    #[serde(default)]
    pub(crate) runtime_class: String,
    #[serde(default)]
    pub(crate) resource_defaults: Option<ResourceDefaults>,
    #[serde(default)]
    pub(crate) instance_types: Vec<String>,
    #[serde(default)]
    pub(crate) node_selector: HashMap<String, String>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) namespace_config_json: String,
    #[serde(default)]
    pub(crate) network_config_json: String,
    #[serde(default)]
    pub(crate) pod_template_json: String,
}

/// `ResourceDefaults`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceDefaults {
    #[serde(default)]
    pub(crate) cpu_request: String,
    #[serde(default)]
    pub(crate) memory_request: String,
    #[serde(default)]
    pub(crate) cpu_limit: String,
    #[serde(default)]
    pub(crate) memory_limit: String,
}
