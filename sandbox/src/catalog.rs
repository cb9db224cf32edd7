//! The integrations the sandbox knows, with their auth definitions and logos.

use base64::Engine as _;
use serde_json::{Value, json};

/// The kind of credential an integration takes; the names are Weavz's connection types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// OAuth2 authorization code with PKCE through the provider origin.
    OAuth2,
    /// One secret, labelled "API key".
    SecretText,
    /// Username and password.
    BasicAuth,
    /// Several named fields.
    CustomAuth,
}

impl AuthType {
    /// The wire name, e.g. `OAUTH2`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::OAuth2 => "OAUTH2",
            AuthType::SecretText => "SECRET_TEXT",
            AuthType::BasicAuth => "BASIC_AUTH",
            AuthType::CustomAuth => "CUSTOM_AUTH",
        }
    }
}

/// How a form field is rendered and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Plain text.
    Text,
    /// A secret: rendered as a password input, never echoed back.
    Secret,
    /// An e-mail address.
    Email,
}

/// One field of a credential form.
#[derive(Debug, Clone)]
pub struct Field {
    /// Form and storage key.
    pub key: &'static str,
    /// Visible label.
    pub label: &'static str,
    /// Input kind.
    pub kind: FieldKind,
    /// Help text under the input.
    pub help: &'static str,
    /// Sandbox validation: returns a message when the value is not acceptable.
    pub check: fn(&str) -> Option<&'static str>,
}

/// One integration of the catalog.
#[derive(Debug, Clone)]
pub struct Integration {
    /// Machine name, e.g. `slack`.
    pub name: &'static str,
    /// Name for people, e.g. `Slack`.
    pub display_name: &'static str,
    /// One sentence.
    pub description: &'static str,
    /// Weavz category names.
    pub categories: &'static [&'static str],
    /// Credential kind.
    pub auth: AuthType,
    /// Form fields (empty for OAuth2).
    pub fields: Vec<Field>,
    /// OAuth2 scopes requested (OAuth2 only).
    pub scopes: &'static [&'static str],
    /// Logo background colour.
    color: &'static str,
    /// Actions / triggers advertised by the catalog (counts only matter here).
    action_count: u32,
    trigger_count: u32,
}

fn not_blank(v: &str) -> Option<&'static str> {
    v.trim().is_empty().then_some("This field is required.")
}

fn api_key_check(v: &str) -> Option<&'static str> {
    not_blank(v).or_else(|| {
        if !v.starts_with("sk-") {
            Some("OpenAI API keys start with \"sk-\".")
        } else if v.len() < 20 || v.chars().any(char::is_whitespace) {
            Some("This does not look like a complete API key.")
        } else {
            None
        }
    })
}

fn email_check(v: &str) -> Option<&'static str> {
    not_blank(v)
        .or_else(|| {
            let (local, domain) = v.split_once('@')?;
            (local.is_empty() || !domain.contains('.')).then_some("Enter a valid e-mail address.")
        })
        .or_else(|| (!v.contains('@')).then_some("Enter a valid e-mail address."))
}

fn subdomain_check(v: &str) -> Option<&'static str> {
    not_blank(v).or_else(|| {
        let ok = v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !v.starts_with('-');
        (!ok).then_some("Use only lowercase letters, digits and hyphens (e.g. \"acme\").")
    })
}

/// The whole catalog, in display order.
pub fn all() -> Vec<Integration> {
    let field = |key, label, kind, help, check| Field {
        key,
        label,
        kind,
        help,
        check,
    };
    vec![
        Integration {
            name: "slack",
            display_name: "Slack",
            description: "Send messages and manage channels in Slack workspaces.",
            categories: &["COMMUNICATION", "PRODUCTIVITY"],
            auth: AuthType::OAuth2,
            fields: vec![],
            scopes: &["chat:write", "channels:read"],
            color: "#4A154B",
            action_count: 12,
            trigger_count: 3,
        },
        Integration {
            name: "github",
            display_name: "GitHub",
            description: "Work with repositories, issues and pull requests.",
            categories: &["DEVELOPER_TOOLS"],
            auth: AuthType::OAuth2,
            fields: vec![],
            scopes: &["repo", "read:user"],
            color: "#24292F",
            action_count: 18,
            trigger_count: 5,
        },
        Integration {
            name: "google-sheets",
            display_name: "Google Sheets",
            description: "Read and write rows in Google Sheets spreadsheets.",
            categories: &["PRODUCTIVITY", "CONTENT_AND_FILES"],
            auth: AuthType::OAuth2,
            fields: vec![],
            scopes: &["https://www.googleapis.com/auth/spreadsheets"],
            color: "#0F7B3F",
            action_count: 9,
            trigger_count: 2,
        },
        Integration {
            name: "openai",
            display_name: "OpenAI",
            description: "Generate text, images and embeddings with OpenAI models.",
            categories: &["AI"],
            auth: AuthType::SecretText,
            fields: vec![field(
                "secretText",
                "API key",
                FieldKind::Secret,
                "Create one at platform.openai.com under API keys.",
                api_key_check,
            )],
            scopes: &[],
            color: "#10A37F",
            action_count: 6,
            trigger_count: 0,
        },
        Integration {
            name: "smtp",
            display_name: "SMTP",
            description: "Send e-mail through any SMTP server.",
            categories: &["COMMUNICATION"],
            auth: AuthType::BasicAuth,
            fields: vec![
                field("username", "Username", FieldKind::Text, "", not_blank),
                field("password", "Password", FieldKind::Secret, "", not_blank),
            ],
            scopes: &[],
            color: "#2B5797",
            action_count: 1,
            trigger_count: 0,
        },
        Integration {
            name: "zendesk",
            display_name: "Zendesk",
            description: "Create and update support tickets in Zendesk.",
            categories: &["CUSTOMER_SUPPORT"],
            auth: AuthType::CustomAuth,
            fields: vec![
                field(
                    "subdomain",
                    "Subdomain",
                    FieldKind::Text,
                    "The part before .zendesk.com, e.g. \"acme\".",
                    subdomain_check,
                ),
                field("email", "Agent e-mail", FieldKind::Email, "", email_check),
                field(
                    "apiToken",
                    "API token",
                    FieldKind::Secret,
                    "Admin Center → Apps and integrations → Zendesk API.",
                    not_blank,
                ),
            ],
            scopes: &[],
            color: "#03363D",
            action_count: 7,
            trigger_count: 2,
        },
    ]
}

/// Looks an integration up by machine name.
pub fn find(name: &str) -> Option<Integration> {
    all().into_iter().find(|i| i.name == name)
}

impl Integration {
    /// The OAuth2 client id the provider registers for this integration.
    pub fn client_id(&self) -> String {
        format!("weavz-sandbox-{}", self.name)
    }

    /// The OAuth2 client secret the provider registers for this integration.
    pub fn client_secret(&self) -> String {
        format!("sandbox-secret-{}", self.name)
    }

    /// The logo as an SVG `data:` URI: a rounded square with the initial.
    pub fn logo_url(&self) -> String {
        let initial = self.display_name.chars().next().unwrap_or('?');
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">\
             <rect width=\"64\" height=\"64\" rx=\"14\" fill=\"{}\"/>\
             <text x=\"32\" y=\"43\" font-family=\"Arial,sans-serif\" font-size=\"30\" \
             font-weight=\"700\" text-anchor=\"middle\" fill=\"#fff\">{initial}</text></svg>",
            self.color
        );
        format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        )
    }

    fn auth_options(&self) -> Value {
        json!([{ "key": "default", "type": self.auth.as_str(), "displayName": self.auth_label() }])
    }

    fn auth_label(&self) -> &'static str {
        match self.auth {
            AuthType::OAuth2 => "OAuth2",
            AuthType::SecretText => "API key",
            AuthType::BasicAuth => "Username and password",
            AuthType::CustomAuth => "Custom credentials",
        }
    }

    /// The light shape of `GET /api/v1/integrations?summary=true`.
    pub fn summary_json(&self) -> Value {
        json!({
            "name": self.name,
            "displayName": self.display_name,
            "description": self.description,
            "logoUrl": self.logo_url(),
            "categories": self.categories,
            "auth": { "type": self.auth.as_str() },
            "authOptions": self.auth_options(),
            "actionCount": self.action_count,
            "triggerCount": self.trigger_count,
        })
    }

    /// The full shape of `GET /api/v1/integrations` (and `?name=`).
    pub fn full_json(&self, provider_origin: &str) -> Value {
        let mut auth = json!({ "type": [self.auth.as_str()] });
        match self.auth {
            AuthType::OAuth2 => {
                auth["oauth2"] = json!({
                    "authUrl": format!("{provider_origin}/oauth/{}/authorize", self.name),
                    "tokenUrl": format!("{provider_origin}/oauth/{}/token", self.name),
                    "scope": self.scopes,
                    "pkce": true,
                });
            }
            _ => {
                auth["props"] = self
                    .fields
                    .iter()
                    .map(|f| {
                        json!({
                            "key": f.key,
                            "displayName": f.label,
                            "type": match f.kind {
                                FieldKind::Secret => "SECRET_TEXT",
                                FieldKind::Text | FieldKind::Email => "SHORT_TEXT",
                            },
                            "required": true,
                            "description": f.help,
                        })
                    })
                    .collect();
            }
        }
        json!({
            "name": self.name,
            "displayName": self.display_name,
            "description": self.description,
            "logoUrl": self.logo_url(),
            "categories": self.categories,
            "auth": auth,
            "authOptions": self.auth_options(),
            "actions": {},
            "triggers": {},
            "actionCount": self.action_count,
            "triggerCount": self.trigger_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_covers_every_auth_type() {
        let all = all();
        for t in [
            AuthType::OAuth2,
            AuthType::SecretText,
            AuthType::BasicAuth,
            AuthType::CustomAuth,
        ] {
            assert!(all.iter().any(|i| i.auth == t), "{t:?}");
        }
        assert!(
            all.iter()
                .any(|i| i.auth == AuthType::CustomAuth && i.fields.len() >= 3)
        );
        for name in ["slack", "github", "google-sheets", "openai", "smtp"] {
            assert!(find(name).is_some(), "{name}");
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn field_checks() {
        assert!(api_key_check("sk-0123456789abcdefghij").is_none());
        assert!(api_key_check("pk-0123456789abcdefghij").is_some());
        assert!(api_key_check("sk-short").is_some());
        assert!(email_check("a@b.co").is_none());
        assert!(email_check("ab.co").is_some());
        assert!(email_check("a@bco").is_some());
        assert!(subdomain_check("acme-1").is_none());
        assert!(subdomain_check("Acme").is_some());
        assert!(not_blank("  ").is_some());
    }

    #[test]
    fn logos_are_svg_data_uris() {
        let url = find("slack").unwrap().logo_url();
        assert!(url.starts_with("data:image/svg+xml;base64,"));
    }
}
