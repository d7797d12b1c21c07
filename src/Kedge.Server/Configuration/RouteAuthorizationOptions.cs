namespace Kedge.Server.Configuration;

/// <summary>
/// Who may use one route or adhoc rule. It replaces the <c>Kedge:Auth</c> default for that route. When both parts are
/// given, the caller needs both.
/// </summary>
public sealed class RouteAuthorizationOptions
{
    /// <summary>An OIDC ID token holding any one of these permissions (needs <c>Kedge:Auth:OidcProviderUrl</c>).</summary>
    public List<string> Permissions { get; set; } = [];

    /// <summary>A client certificate whose identity matches one of the patterns.</summary>
    public ClientCertificateRuleOptions? ClientCertificate { get; set; }
}
