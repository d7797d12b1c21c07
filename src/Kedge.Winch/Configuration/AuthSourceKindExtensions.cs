namespace Kedge.Winch.Configuration;

/// <summary>The name of an auth source kind as the auth config writes it (<c>service_account_oidc</c>, <c>kube</c>, …).</summary>
internal static class AuthSourceKindExtensions
{
    public static string ConfigName(this AuthSourceKind kind) => kind switch
    {
        AuthSourceKind.ServiceAccountOidc => "service_account_oidc",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
