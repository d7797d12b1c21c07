using Kedge.GoCompat.Jsonpb;

namespace Kedge.Winch.Configuration;

/// <summary>
/// The messages and enums of Go winch's mapper and auth configs (proto/winch/config at 77a38cc), as far as jsonpb needs
/// them. Field order follows the protos, so error messages list fields as they do.
/// </summary>
internal static class WinchConfigSchema
{
    public static readonly JsonpbEnumType Protocol = new("winch.config.Protocol", "ANY", "HTTP", "GRPC");

    public static readonly JsonpbMessageType MapperConfig = new("winch.config.MapperConfig", ["routes"]);

    public static readonly JsonpbMessageType Route = new("winch.config.Route", ["backend_auth", "proxy_auth", "direct", "regexp", "protocol"]);

    // fallback_urls is not in Go winch's proto: the kedges tried after url, in order (failover). Go winch would refuse it.
    public static readonly JsonpbMessageType DirectRoute = new("winch.config.DirectRoute", ["key", "url", "fallback_urls"]);

    public static readonly JsonpbMessageType RegexpRoute = new("winch.config.RegexpRoute", ["exp", "url"]);

    public static readonly JsonpbMessageType AuthConfig = new("winch.config.AuthConfig", ["auth_sources"]);

    public static readonly JsonpbMessageType AuthSource = new("winch.config.AuthSource", ["name", "dummy", "kube", "oidc", "token", "service_account_oidc"]);

    public static readonly JsonpbMessageType KubernetesAccess = new("winch.config.KubernetesAccess", ["user", "path"]);

    public static readonly JsonpbMessageType OidcAccess = new("winch.config.OIDCAccess", ["provider", "client_id", "secret", "scopes", "path", "login_callback_path"]);

    public static readonly JsonpbMessageType GoogleServiceAccountOidcAccess = new(
        "winch.config.GoogleServiceAccountOIDCAccess",
        ["provider", "client_id", "secret", "scopes", "service_account_json_path"]);

    public static readonly JsonpbMessageType DummyAccess = new("winch.config.DummyAccess", ["value"]);

    public static readonly JsonpbMessageType TokenAccess = new("winch.config.TokenAccess", ["token"]);
}
