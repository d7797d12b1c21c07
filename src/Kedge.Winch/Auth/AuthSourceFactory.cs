using Kedge.Client.Tokens;
using Kedge.GoCompat.Jsonpb;
using Kedge.Winch.Configuration;
using YamlDotNet.RepresentationModel;

namespace Kedge.Winch.Auth;

/// <summary>
/// Builds the token sources that routes refer to, once per name (Go winch's auth factory). A source that cannot be
/// built (missing kubeconfig user, unsupported kind) fails winch's start-up with a message naming it.
/// </summary>
internal sealed class AuthSourceFactory
{
    private readonly IReadOnlyDictionary<string, AuthSourceConfig> _configs;
    private readonly WinchAuthContext _context;
    private readonly Dictionary<string, KedgeTokenSource> _built = new(StringComparer.Ordinal);

    public AuthSourceFactory(IReadOnlyDictionary<string, AuthSourceConfig> configs, WinchAuthContext context)
    {
        _configs = configs;
        _context = context;
    }

    /// <summary>The sources built so far, by name.</summary>
    public IReadOnlyDictionary<string, KedgeTokenSource> Built => _built;

    /// <summary>The named source; null after adding the reason to <paramref name="errors"/>.</summary>
    public KedgeTokenSource? Get(string name, List<string> errors)
    {
        if (_built.TryGetValue(name, out var source))
        {
            return source;
        }

        var config = _configs[name];
        try
        {
            source = Create(config);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{GoConfigErrorSink.Locate("auth config", config.Path)} (\"{name}\"): {ex.Message}");
            return null;
        }

        _built[name] = source;
        return source;
    }

    private KedgeTokenSource Create(AuthSourceConfig config)
    {
        switch (config.Kind)
        {
            case AuthSourceKind.Token:
                return KedgeTokenSource.FromValue(config.Name, config.Value);

            case AuthSourceKind.Dummy:
                if (config.Value.Length == 0)
                {
                    return KedgeTokenSource.FromDelegate(
                        config.Name,
                        _ => ValueTask.FromException<string>(new InvalidOperationException("Error dummy auth source. No TokenValue specified")));
                }

                return KedgeTokenSource.FromValue(config.Name, config.Value);

            case AuthSourceKind.Kube:
                return CreateKube(config);

            case AuthSourceKind.Oidc:
                var provider = new OidcProviderClient(new Uri(config.Provider), config.ClientId, config.Secret, config.Scopes, _context.IssuerClient);
                return new OidcTokenSource(config.Name, provider, config.FilePath, config.LoginCallbackPath, _context);

            case AuthSourceKind.ServiceAccountOidc:
                return ServiceAccountOidcTokenSource.Create(config.Name, config.ServiceAccountJsonPath, config.ClientId, _context);

            default:
                throw new InvalidOperationException($"source {config.Kind} not supported");
        }
    }

    private KedgeTokenSource CreateKube(AuthSourceConfig config)
    {
        var path = config.FilePath.Length == 0 ? KubeConfig.DefaultPath : OidcTokenSource.ExpandHome(config.FilePath);
        var kubeconfig = KubeConfig.Load(path);
        var user = kubeconfig.FindUser(config.User);
        if (user is null)
        {
            var known = kubeconfig.UserNames();
            throw new InvalidOperationException(
                $"Failed to find user {config.User} inside k8s config AuthInfo from file {path}; it has {(known.Count == 0 ? "no users" : "users " + string.Join(", ", known))}");
        }

        if (KubeConfig.Scalar(user, "token") is { Length: > 0 } token)
        {
            return KedgeTokenSource.FromValue(config.Name, token);
        }

        if (KubeConfig.Scalar(user, "tokenFile") is { Length: > 0 } tokenFile)
        {
            return KedgeTokenSource.FromFile(config.Name, tokenFile, timeProvider: _context.TimeProvider);
        }

        if (KubeConfig.Child(user, "auth-provider") is YamlMappingNode provider)
        {
            var providerName = KubeConfig.Scalar(provider, "name");
            if (providerName != "oidc")
            {
                throw new InvalidOperationException($"Not supported k8s Auth provider {providerName} (user {config.User} in {path}); winch supports the oidc auth-provider, exec plugins and static tokens");
            }

            var providerConfig = KubeConfig.Child(provider, "config") as YamlMappingNode ?? new YamlMappingNode();
            return new KubeOidcTokenSource(config.Name, config.User, path, providerConfig, _context);
        }

        if (KubeConfig.Child(user, "exec") is YamlMappingNode exec)
        {
            return new ExecCredentialTokenSource(config.Name, config.User, path, exec, _context);
        }

        throw new InvalidOperationException(
            $"user {config.User} in {path} has no token, tokenFile, oidc auth-provider or exec plugin; winch sends bearer tokens and cannot use a kubeconfig's client certificates or basic auth");
    }
}
