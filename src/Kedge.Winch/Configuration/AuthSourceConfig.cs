namespace Kedge.Winch.Configuration;

/// <summary>One auth source of Go winch's <c>winch.config.AuthSource</c>; only the fields of its kind are set.</summary>
internal sealed record AuthSourceConfig
{
    /// <summary>The JSON path, for error messages: <c>auth_sources[0]</c>.</summary>
    public required string Path { get; init; }

    public required string Name { get; init; }

    public required AuthSourceKind Kind { get; init; }

    /// <summary><c>token.token</c> or <c>dummy.value</c>.</summary>
    public string Value { get; init; } = string.Empty;

    /// <summary><c>kube.user</c>.</summary>
    public string User { get; init; } = string.Empty;

    /// <summary><c>kube.path</c> (the kubeconfig) or <c>oidc.path</c> (the token cache directory).</summary>
    public string FilePath { get; init; } = string.Empty;

    /// <summary><c>oidc.provider</c>: the issuer URL.</summary>
    public string Provider { get; init; } = string.Empty;

    public string ClientId { get; init; } = string.Empty;

    public string Secret { get; init; } = string.Empty;

    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary><c>oidc.login_callback_path</c>: empty for no interactive login.</summary>
    public string LoginCallbackPath { get; init; } = string.Empty;

    /// <summary><c>service_account_oidc.service_account_json_path</c>.</summary>
    public string ServiceAccountJsonPath { get; init; } = string.Empty;
}
