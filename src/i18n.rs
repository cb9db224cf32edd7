//! The connections panel's words in English, German and Spanish. Every string a person sees comes from
//! here, error messages included; `{name}` and `{detail}` are filled in by [`fill`].
//!
//! ```
//! use weavz_connect::i18n::{Key, Lang, fill, text};
//!
//! let lang = Lang::pick(Some("es-ES"), &[]);
//! assert_eq!(fill(text(lang, Key::Waiting), "Slack", ""), "Termina de conectar Slack en la ventana emergente.");
//! ```

use crate::flow::{ErrorCode, FlowError};

/// A supported language.
///
/// # Examples
///
/// ```
/// use weavz_connect::i18n::{Key, Lang, text};
///
/// let lang = Lang::from_tag("de-CH").unwrap_or(Lang::En);
/// assert_eq!(lang, Lang::De);
/// assert_eq!(text(lang, Key::Retry), "Erneut versuchen");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// German.
    De,
    /// Spanish.
    Es,
}

impl Lang {
    /// From a BCP 47 tag (`de-AT` → German); `None` for languages without a translation.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::i18n::Lang;
    ///
    /// assert_eq!(Lang::from_tag("de-AT"), Some(Lang::De));
    /// assert_eq!(Lang::from_tag("ES_mx"), Some(Lang::Es));
    /// assert_eq!(Lang::from_tag("fr"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The `locale` attribute if given and known, else the browser's first known language,
    /// else English.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::i18n::Lang;
    ///
    /// let browser = ["fr-FR".to_owned(), "es-MX".to_owned()];
    /// assert_eq!(Lang::pick(Some("de"), &browser), Lang::De);
    /// // An unknown attribute falls back to the browser's first known language…
    /// assert_eq!(Lang::pick(Some("it"), &browser), Lang::Es);
    /// // …and then to English.
    /// assert_eq!(Lang::pick(None, &["fr".to_owned()]), Lang::En);
    /// ```
    pub fn pick(attribute: Option<&str>, browser: &[String]) -> Lang {
        attribute
            .and_then(Lang::from_tag)
            .or_else(|| browser.iter().find_map(|t| Lang::from_tag(t)))
            .unwrap_or(Lang::En)
    }

    /// The BCP 47 tag, for `lang` attributes and date formatting.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::i18n::Lang;
    ///
    /// assert_eq!(Lang::Es.tag(), "es");
    /// assert_eq!(Lang::from_tag(Lang::De.tag()), Some(Lang::De));
    /// ```
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Es => "es",
        }
    }
}

/// Declares [`Key`] and [`Key::ALL`] from one list, so the two cannot drift apart.
macro_rules! keys {
    ($($key:ident),* $(,)?) => {
        /// Keys of the texts.
        ///
        /// # Examples
        ///
        /// ```
        /// use weavz_connect::i18n::{Key, Lang, text};
        ///
        /// assert_eq!(text(Lang::En, Key::Create), "Create connection");
        /// assert_eq!(text(Lang::Es, Key::Create), "Crear conexión");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Key {
            $($key),*
        }

        impl Key {
            /// Every key, in declaration order.
            ///
            /// # Examples
            ///
            /// ```
            /// use weavz_connect::i18n::{Key, Lang, text};
            ///
            /// assert_eq!(Key::ALL.first(), Some(&Key::Title));
            /// // Every text exists in every language.
            /// for lang in [Lang::En, Lang::De, Lang::Es] {
            ///     assert!(Key::ALL.iter().all(|&key| !text(lang, key).is_empty()));
            /// }
            /// ```
            pub const ALL: &[Key] = &[$(Key::$key),*];
        }
    };
}

keys![
    Title,
    Create,
    PickerTitle,
    Search,
    SearchHint,
    AllCategories,
    Close,
    NoMatch,
    LoadingIntegrations,
    IntegrationsFailed,
    LoadingConnections,
    ConnectionsFailed,
    Retry,
    Empty,
    ColName,
    ColIntegration,
    ColType,
    ColStatus,
    ColCreated,
    ColActions,
    Disconnect,
    ConfirmDisconnect,
    Keep,
    Disconnected,
    DisconnectFailed,
    Waiting,
    Connected,
    Cancel,
    Cancelled,
    Failed,
    PopupBlocked,
    WindowLost,
    SessionExpired,
    Timeout,
    Network,
    InvalidOptions,
    Aborted,
    Unconfirmed,
    Interrupted,
    Confirming,
    Continue,
    Categories,
    Unreachable,
    Unexpected,
    TypeOauth2,
    TypePlatformOauth2,
    TypeSecretText,
    TypeBasicAuth,
    TypeCustomAuth,
    StatusActive,
    StatusError,
    CategoryAi,
    CategoryCommunication,
    CategoryContentAndFiles,
    CategoryCustomerSupport,
    CategoryDeveloperTools,
    CategoryProductivity,
];

/// The text for `key` in `lang`.
///
/// # Examples
///
/// ```
/// use weavz_connect::i18n::{Key, Lang, text};
///
/// assert_eq!(text(Lang::De, Key::Title), "Verbindungen");
/// assert_eq!(text(Lang::En, Key::Connected), "Connected to {name}.");
/// ```
pub fn text(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match lang {
        Lang::En => match key {
            Title => "Connections",
            Create => "Create connection",
            PickerTitle => "Choose an integration",
            Search => "Search integrations",
            SearchHint => "Type to filter, arrow keys to move, Enter to connect, Escape to close.",
            AllCategories => "All",
            Close => "Close",
            NoMatch => "No integration matches \u{201c}{name}\u{201d}.",
            LoadingIntegrations => "Loading integrations\u{2026}",
            IntegrationsFailed => "The integrations could not be loaded: {detail}",
            LoadingConnections => "Loading connections\u{2026}",
            ConnectionsFailed => "The connections could not be loaded: {detail}",
            Retry => "Try again",
            Empty => "No connections yet. Create one to get started.",
            ColName => "Name",
            ColIntegration => "Integration",
            ColType => "Type",
            ColStatus => "Status",
            ColCreated => "Created",
            ColActions => "Actions",
            Disconnect => "Disconnect",
            ConfirmDisconnect => "Disconnect {name}? Apps using it stop working.",
            Keep => "Keep",
            Disconnected => "{name} was disconnected.",
            DisconnectFailed => "{name} could not be disconnected: {detail}",
            Waiting => "Finish connecting {name} in the popup window.",
            Connected => "Connected to {name}.",
            Cancel => "Cancel",
            Cancelled => "Connecting {name} was cancelled.",
            Failed => "Could not connect {name}: {detail}",
            PopupBlocked => {
                "Your browser blocked the connect window. Allow pop-ups for this site and choose the integration again."
            }
            WindowLost => {
                "The connect window can no longer be followed. If you finished there, reload to see the connection."
            }
            SessionExpired => "The connect session expired. Try again.",
            Timeout => "Connecting took too long. Try again.",
            Network => "Your app\u{2019}s server could not be reached. Try again.",
            InvalidOptions => "The panel is not set up correctly.",
            Aborted => "Connecting was stopped.",
            Unconfirmed => {
                "{name} reported a connection that could not be confirmed. It may exist: check the list before connecting again."
            }
            Interrupted => "Connecting {name} was not finished. Continue, or cancel.",
            Confirming => "Confirming the connection to {name}\u{2026}",
            Continue => "Continue",
            Categories => "Categories",
            Unreachable => "the server could not be reached",
            Unexpected => "the server\u{2019}s answer could not be read",
            TypeOauth2 => "OAuth 2.0",
            TypePlatformOauth2 => "OAuth 2.0 (platform app)",
            TypeSecretText => "API key",
            TypeBasicAuth => "Username and password",
            TypeCustomAuth => "Custom credentials",
            StatusActive => "Active",
            StatusError => "Error",
            CategoryAi => "AI",
            CategoryCommunication => "Communication",
            CategoryContentAndFiles => "Content and files",
            CategoryCustomerSupport => "Customer support",
            CategoryDeveloperTools => "Developer tools",
            CategoryProductivity => "Productivity",
        },
        Lang::De => match key {
            Title => "Verbindungen",
            Create => "Verbindung erstellen",
            PickerTitle => "Integration auswählen",
            Search => "Integrationen durchsuchen",
            SearchHint => {
                "Tippen zum Filtern, Pfeiltasten zum Wechseln, Eingabetaste zum Verbinden, Escape zum Schließen."
            }
            AllCategories => "Alle",
            Close => "Schließen",
            NoMatch => "Keine Integration passt zu \u{201e}{name}\u{201c}.",
            LoadingIntegrations => "Integrationen werden geladen\u{2026}",
            IntegrationsFailed => "Die Integrationen konnten nicht geladen werden: {detail}",
            LoadingConnections => "Verbindungen werden geladen\u{2026}",
            ConnectionsFailed => "Die Verbindungen konnten nicht geladen werden: {detail}",
            Retry => "Erneut versuchen",
            Empty => "Noch keine Verbindungen. Erstellen Sie die erste.",
            ColName => "Name",
            ColIntegration => "Integration",
            ColType => "Typ",
            ColStatus => "Status",
            ColCreated => "Erstellt",
            ColActions => "Aktionen",
            Disconnect => "Trennen",
            ConfirmDisconnect => "{name} trennen? Apps, die sie nutzen, funktionieren dann nicht mehr.",
            Keep => "Behalten",
            Disconnected => "{name} wurde getrennt.",
            DisconnectFailed => "{name} konnte nicht getrennt werden: {detail}",
            Waiting => "Schließen Sie die Verbindung mit {name} im Pop-up-Fenster ab.",
            Connected => "Mit {name} verbunden.",
            Cancel => "Abbrechen",
            Cancelled => "Die Verbindung mit {name} wurde abgebrochen.",
            Failed => "Verbindung mit {name} fehlgeschlagen: {detail}",
            PopupBlocked => {
                "Ihr Browser hat das Verbindungsfenster blockiert. Erlauben Sie Pop-ups für diese Seite und wählen Sie die Integration erneut."
            }
            WindowLost => {
                "Das Verbindungsfenster ist nicht mehr erreichbar. Wenn Sie dort fertig sind, laden Sie die Seite neu."
            }
            SessionExpired => "Die Verbindungssitzung ist abgelaufen. Versuchen Sie es erneut.",
            Timeout => "Das Verbinden hat zu lange gedauert. Versuchen Sie es erneut.",
            Network => "Der Server Ihrer App war nicht erreichbar. Versuchen Sie es erneut.",
            InvalidOptions => "Das Panel ist nicht richtig eingerichtet.",
            Aborted => "Das Verbinden wurde beendet.",
            Unconfirmed => {
                "{name} meldete eine Verbindung, die nicht bestätigt werden konnte. Sie besteht vielleicht: Prüfen Sie die Liste, bevor Sie erneut verbinden."
            }
            Interrupted => "Die Verbindung mit {name} wurde nicht abgeschlossen. Fortsetzen oder abbrechen.",
            Confirming => "Die Verbindung mit {name} wird bestätigt\u{2026}",
            Continue => "Fortsetzen",
            Categories => "Kategorien",
            Unreachable => "der Server war nicht erreichbar",
            Unexpected => "die Antwort des Servers war nicht lesbar",
            TypeOauth2 => "OAuth 2.0",
            TypePlatformOauth2 => "OAuth 2.0 (Plattform-App)",
            TypeSecretText => "API-Schlüssel",
            TypeBasicAuth => "Benutzername und Passwort",
            TypeCustomAuth => "Eigene Zugangsdaten",
            StatusActive => "Aktiv",
            StatusError => "Fehler",
            CategoryAi => "KI",
            CategoryCommunication => "Kommunikation",
            CategoryContentAndFiles => "Inhalte und Dateien",
            CategoryCustomerSupport => "Kundensupport",
            CategoryDeveloperTools => "Entwicklerwerkzeuge",
            CategoryProductivity => "Produktivität",
        },
        Lang::Es => match key {
            Title => "Conexiones",
            Create => "Crear conexión",
            PickerTitle => "Elige una integración",
            Search => "Buscar integraciones",
            SearchHint => {
                "Escribe para filtrar, flechas para moverte, Intro para conectar, Escape para cerrar."
            }
            AllCategories => "Todas",
            Close => "Cerrar",
            NoMatch => "Ninguna integración coincide con \u{ab}{name}\u{bb}.",
            LoadingIntegrations => "Cargando integraciones\u{2026}",
            IntegrationsFailed => "No se pudieron cargar las integraciones: {detail}",
            LoadingConnections => "Cargando conexiones\u{2026}",
            ConnectionsFailed => "No se pudieron cargar las conexiones: {detail}",
            Retry => "Reintentar",
            Empty => "Aún no hay conexiones. Crea la primera.",
            ColName => "Nombre",
            ColIntegration => "Integración",
            ColType => "Tipo",
            ColStatus => "Estado",
            ColCreated => "Creada",
            ColActions => "Acciones",
            Disconnect => "Desconectar",
            ConfirmDisconnect => "¿Desconectar {name}? Las apps que la usan dejarán de funcionar.",
            Keep => "Conservar",
            Disconnected => "{name} se desconectó.",
            DisconnectFailed => "No se pudo desconectar {name}: {detail}",
            Waiting => "Termina de conectar {name} en la ventana emergente.",
            Connected => "Conectado a {name}.",
            Cancel => "Cancelar",
            Cancelled => "Se canceló la conexión con {name}.",
            Failed => "No se pudo conectar {name}: {detail}",
            PopupBlocked => {
                "Tu navegador bloqueó la ventana de conexión. Permite las ventanas emergentes para este sitio y elige la integración de nuevo."
            }
            WindowLost => {
                "Ya no se puede seguir la ventana de conexión. Si terminaste allí, recarga para ver la conexión."
            }
            SessionExpired => "La sesión de conexión caducó. Inténtalo de nuevo.",
            Timeout => "La conexión tardó demasiado. Inténtalo de nuevo.",
            Network => "No se pudo contactar con el servidor de tu app. Inténtalo de nuevo.",
            InvalidOptions => "El panel no está bien configurado.",
            Aborted => "Se detuvo la conexión.",
            Unconfirmed => {
                "{name} informó de una conexión que no se pudo confirmar. Puede que exista: revisa la lista antes de volver a conectar."
            }
            Interrupted => "La conexión con {name} no se terminó. Continúa o cancela.",
            Confirming => "Confirmando la conexión con {name}\u{2026}",
            Continue => "Continuar",
            Categories => "Categorías",
            Unreachable => "no se pudo contactar con el servidor",
            Unexpected => "no se pudo leer la respuesta del servidor",
            TypeOauth2 => "OAuth 2.0",
            TypePlatformOauth2 => "OAuth 2.0 (app de la plataforma)",
            TypeSecretText => "Clave de API",
            TypeBasicAuth => "Usuario y contraseña",
            TypeCustomAuth => "Credenciales personalizadas",
            StatusActive => "Activa",
            StatusError => "Con errores",
            CategoryAi => "IA",
            CategoryCommunication => "Comunicación",
            CategoryContentAndFiles => "Contenido y archivos",
            CategoryCustomerSupport => "Atención al cliente",
            CategoryDeveloperTools => "Herramientas para desarrolladores",
            CategoryProductivity => "Productividad",
        },
    }
}

/// What kind of value the server sent, for [`value_text`].
///
/// ```
/// use weavz_connect::i18n::{Lang, Value, value_text};
/// // The same raw word can mean different things: the kind picks the table.
/// assert_eq!(value_text(Lang::En, Value::ConnectionStatus, "ACTIVE"), "Active");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A connection's `type` (`OAUTH2`, `SECRET_TEXT`, …).
    ConnectionType,
    /// A connection's `status` (`ACTIVE`, `ERROR`).
    ConnectionStatus,
    /// An integration's category (`COMMUNICATION`, `DEVELOPER_TOOLS`, …).
    Category,
}

/// A value the server sent (a connection's type or status, an integration's category), for
/// people in `lang`. Known values (Weavz's, matched regardless of case and of `-`, `_` or
/// spaces) are translated; an unknown one is shown readably (`NEW_THING` → `New thing`),
/// and a blank one as a dash, never as nothing.
///
/// ```
/// use weavz_connect::i18n::{Lang, Value, value_text};
/// assert_eq!(value_text(Lang::De, Value::ConnectionType, "secret-text"), "API-Schlüssel");
/// assert_eq!(value_text(Lang::Es, Value::ConnectionStatus, "active"), "Activa");
/// assert_eq!(value_text(Lang::En, Value::ConnectionStatus, "NEEDS_REAUTH"), "Needs reauth");
/// assert_eq!(value_text(Lang::En, Value::Category, "  "), "—");
/// ```
pub fn value_text(lang: Lang, kind: Value, raw: &str) -> String {
    use Key::*;
    let normal: String = raw
        .trim()
        .chars()
        .map(|c| {
            if matches!(c, '-' | ' ') {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    let key = match (kind, normal.as_str()) {
        (Value::ConnectionType, "OAUTH2") => Some(TypeOauth2),
        (Value::ConnectionType, "PLATFORM_OAUTH2") => Some(TypePlatformOauth2),
        (Value::ConnectionType, "SECRET_TEXT") => Some(TypeSecretText),
        (Value::ConnectionType, "BASIC_AUTH") => Some(TypeBasicAuth),
        (Value::ConnectionType, "CUSTOM_AUTH") => Some(TypeCustomAuth),
        (Value::ConnectionStatus, "ACTIVE") => Some(StatusActive),
        (Value::ConnectionStatus, "ERROR") => Some(StatusError),
        (Value::Category, "AI" | "ARTIFICIAL_INTELLIGENCE") => Some(CategoryAi),
        (Value::Category, "COMMUNICATION") => Some(CategoryCommunication),
        (Value::Category, "CONTENT_AND_FILES") => Some(CategoryContentAndFiles),
        (Value::Category, "CUSTOMER_SUPPORT") => Some(CategoryCustomerSupport),
        (Value::Category, "DEVELOPER_TOOLS") => Some(CategoryDeveloperTools),
        (Value::Category, "PRODUCTIVITY") => Some(CategoryProductivity),
        _ => None,
    };
    match key {
        Some(key) => text(lang, key).to_owned(),
        None => readable(raw),
    }
}

/// `CONTENT_AND_FILES` → `Content and files`; blank → `—`.
fn readable(raw: &str) -> String {
    let words = raw.replace(['_', '-'], " ");
    let words = words
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "\u{2014}".to_owned(),
    }
}

/// Replaces `{name}` and `{detail}` in `template`.
///
/// # Examples
///
/// ```
/// use weavz_connect::i18n::{Key, Lang, fill, text};
///
/// assert_eq!(fill(text(Lang::En, Key::Connected), "Slack", ""), "Connected to Slack.");
/// assert_eq!(
///     fill(text(Lang::En, Key::Failed), "Slack", "access denied"),
///     "Could not connect Slack: access denied"
/// );
/// ```
pub fn fill(template: &str, name: &str, detail: &str) -> String {
    template.replace("{name}", name).replace("{detail}", detail)
}

/// A flow error for people, in `lang`. A failure reported by the provider or Weavz keeps
/// their text as the detail (it is not ours to translate).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{ErrorCode, FlowError};
/// use weavz_connect::i18n::{Lang, error_text};
///
/// let cancelled = FlowError::new(ErrorCode::UserCancelled, "The connect window was closed.");
/// assert_eq!(error_text(Lang::En, "Slack", &cancelled), "Connecting Slack was cancelled.");
///
/// // The provider's own words are kept as the detail.
/// let failed = FlowError::new(ErrorCode::ConnectFailed, "access_denied");
/// assert_eq!(error_text(Lang::De, "Slack", &failed), "Verbindung mit Slack fehlgeschlagen: access_denied");
/// ```
pub fn error_text(lang: Lang, name: &str, e: &FlowError) -> String {
    let key = match e.code {
        ErrorCode::ConnectFailed => return fill(text(lang, Key::Failed), name, &e.message),
        ErrorCode::UserCancelled => Key::Cancelled,
        ErrorCode::PopupBlocked => Key::PopupBlocked,
        ErrorCode::WindowLost => Key::WindowLost,
        ErrorCode::SessionExpired => Key::SessionExpired,
        ErrorCode::Timeout => Key::Timeout,
        ErrorCode::Network => Key::Network,
        ErrorCode::InvalidOptions => Key::InvalidOptions,
        ErrorCode::Aborted => Key::Aborted,
        ErrorCode::Unconfirmed => Key::Unconfirmed,
    };
    fill(text(lang, key), name, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Lang; 3] = [Lang::En, Lang::De, Lang::Es];

    #[test]
    fn languages_are_picked_by_attribute_then_browser_then_english() {
        assert_eq!(Lang::pick(Some("de-AT"), &[]), Lang::De);
        assert_eq!(Lang::pick(Some("fr"), &["es-MX".into()]), Lang::Es);
        assert_eq!(Lang::pick(None, &["fr-FR".into(), "de".into()]), Lang::De);
        assert_eq!(Lang::pick(None, &["ja".into()]), Lang::En);
    }

    #[test]
    fn every_text_is_translated_and_keeps_its_placeholders() {
        use Key::*;
        let keys = Key::ALL.iter().copied();
        for key in keys {
            let en = text(Lang::En, key);
            for lang in ALL {
                let t = text(lang, key);
                assert!(!t.trim().is_empty(), "{lang:?} {key:?}");
                for placeholder in ["{name}", "{detail}"] {
                    assert_eq!(
                        t.contains(placeholder),
                        en.contains(placeholder),
                        "{lang:?} {key:?}"
                    );
                }
                // Only these may coincide across languages (Spanish says "Error" too).
                if lang != Lang::En && !matches!(key, ColName | ColStatus | ColIntegration | TypeOauth2) {
                    assert_ne!(t, en, "{lang:?} {key:?} is not translated");
                }
            }
        }
    }

    #[test]
    fn errors_are_translated_but_provider_text_is_kept() {
        let denied = FlowError::new(ErrorCode::ConnectFailed, "Access was denied at Slack.");
        assert_eq!(
            error_text(Lang::De, "Slack", &denied),
            "Verbindung mit Slack fehlgeschlagen: Access was denied at Slack."
        );
        let expired = FlowError::new(ErrorCode::SessionExpired, "The connect session expired.");
        assert_eq!(
            error_text(Lang::Es, "Slack", &expired),
            "La sesión de conexión caducó. Inténtalo de nuevo."
        );
    }

    #[test]
    fn known_server_values_are_translated() {
        assert_eq!(value_text(Lang::De, Value::ConnectionStatus, "ACTIVE"), "Aktiv");
        assert_eq!(value_text(Lang::Es, Value::ConnectionStatus, "ACTIVE"), "Activa");
        assert_eq!(value_text(Lang::En, Value::ConnectionStatus, "ERROR"), "Error");
        assert_eq!(
            value_text(Lang::De, Value::ConnectionType, "SECRET_TEXT"),
            "API-Schlüssel"
        );
        assert_eq!(
            value_text(Lang::Es, Value::ConnectionType, "BASIC_AUTH"),
            "Usuario y contraseña"
        );
        assert_eq!(value_text(Lang::De, Value::ConnectionType, "OAUTH2"), "OAuth 2.0");
        assert_eq!(
            value_text(Lang::Es, Value::Category, "DEVELOPER_TOOLS"),
            "Herramientas para desarrolladores"
        );
        // Case and separators do not matter: Weavz writes categories in capitals, others do not.
        assert_eq!(
            value_text(Lang::De, Value::Category, "communication"),
            "Kommunikation"
        );
        assert_eq!(
            value_text(Lang::De, Value::Category, "content-and-files"),
            "Inhalte und Dateien"
        );
        assert_eq!(
            value_text(Lang::En, Value::Category, " Customer support "),
            "Customer support"
        );
        // A value of one kind is not translated as another kind's.
        assert_eq!(value_text(Lang::De, Value::ConnectionStatus, "OAUTH2"), "Oauth2");
    }

    #[test]
    fn every_known_value_has_its_own_text_in_every_language() {
        let known = [
            (Value::ConnectionType, "OAUTH2"),
            (Value::ConnectionType, "PLATFORM_OAUTH2"),
            (Value::ConnectionType, "SECRET_TEXT"),
            (Value::ConnectionType, "BASIC_AUTH"),
            (Value::ConnectionType, "CUSTOM_AUTH"),
            (Value::ConnectionStatus, "ACTIVE"),
            (Value::ConnectionStatus, "ERROR"),
            (Value::Category, "AI"),
            (Value::Category, "COMMUNICATION"),
            (Value::Category, "CONTENT_AND_FILES"),
            (Value::Category, "CUSTOMER_SUPPORT"),
            (Value::Category, "DEVELOPER_TOOLS"),
            (Value::Category, "PRODUCTIVITY"),
        ];
        for lang in ALL {
            let texts: Vec<String> = known.iter().map(|(k, v)| value_text(lang, *k, v)).collect();
            for (text, (_, raw)) in texts.iter().zip(known) {
                assert!(!text.trim().is_empty(), "{lang:?} {raw}");
                // Translated through the table, not shown through the fallback.
                assert!(
                    lang == Lang::En || *text != readable(raw),
                    "{lang:?} {raw}: {text}"
                );
            }
            let mut unique = texts.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), texts.len(), "{lang:?}: two values share a text");
        }
    }

    #[test]
    fn unknown_values_are_readable_never_blank() {
        for lang in ALL {
            assert_eq!(
                value_text(lang, Value::ConnectionStatus, "NEEDS_REAUTH"),
                "Needs reauth"
            );
            assert_eq!(
                value_text(lang, Value::Category, "SALES_AND_CRM"),
                "Sales and crm"
            );
            assert_eq!(value_text(lang, Value::ConnectionType, "__x--y__"), "X y");
            assert_eq!(
                value_text(lang, Value::ConnectionType, "ÉTAT_NOUVEAU"),
                "État nouveau"
            );
            for blank in ["", "   ", "___", "-"] {
                assert_eq!(
                    value_text(lang, Value::ConnectionStatus, blank),
                    "\u{2014}",
                    "{blank:?}"
                );
            }
        }
    }
}
