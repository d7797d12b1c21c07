namespace Kedge.Winch.Configuration;

/// <summary>The kinds of Go winch's <c>winch.config.AuthSource</c> (its <c>type</c> oneof).</summary>
internal enum AuthSourceKind
{
    Dummy,
    Kube,
    Oidc,
    Token,
    ServiceAccountOidc,
}
