namespace Kedge.Server.Authorization;

/// <summary>The authentication schemes kedge registers; each reads the caller's credentials for kedge itself.</summary>
internal static class KedgeAuthSchemes
{
    /// <summary>An OIDC ID token in <c>Proxy-Authorization: Bearer …</c> (JwtBearer).</summary>
    public const string Oidc = "KedgeOidc";

    /// <summary>The static token of <c>unsafe_bearer_token_proxy_auth</c> in <c>Proxy-Authorization: Bearer …</c>.</summary>
    public const string StaticToken = "KedgeStaticToken";

    /// <summary>The client certificate the TLS handshake verified.</summary>
    public const string ClientCertificate = "KedgeClientCertificate";

    /// <summary>
    /// The authentication type of the identity holding the caller's permissions, read from the token's permissions claim
    /// by kedge itself (a token cannot name an identity, so it cannot smuggle permissions in under another claim).
    /// </summary>
    public const string PermissionsIdentity = "KedgePermissions";

    /// <summary>The claim type of one permission in <see cref="PermissionsIdentity"/>.</summary>
    public const string PermissionClaim = "kedge/permission";

    /// <summary>The claim type holding a certificate's subject common name.</summary>
    public const string CommonNameClaim = "kedge/cn";

    /// <summary>The claim type holding a certificate's DNS subject alternative names.</summary>
    public const string DnsNameClaim = "kedge/dns";

    /// <summary>The claim type holding a certificate's URI subject alternative names.</summary>
    public const string UriClaim = "kedge/uri";
}
