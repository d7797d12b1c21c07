using Kedge.Client.Tokens;
using Kedge.Winch.Internal;
using YamlDotNet.RepresentationModel;

namespace Kedge.Winch.Auth;

/// <summary>
/// A kubeconfig user with the <c>oidc</c> auth-provider, as kubectl and Go winch use it: the <c>id-token</c> is sent
/// while it is valid; then it is refreshed with the <c>refresh-token</c> at the issuer and both are written back to the
/// kubeconfig. There is no interactive login: when the refresh token is refused, log in with your usual tool.
/// </summary>
internal sealed class KubeOidcTokenSource : KedgeTokenSource, IClearableTokenSource, ITrackedTokenSource
{
    private readonly string _user;
    private readonly string _path;
    private readonly OidcProviderClient _provider;
    private readonly WinchAuthContext _context;
    private readonly SingleFlight<string> _flight;
    private volatile string? _idToken;
    private string? _refreshToken;

    public KubeOidcTokenSource(string name, string user, string path, YamlMappingNode config, WinchAuthContext context)
        : base(name)
    {
        _flight = new SingleFlight<string>(RefreshAsync, task =>
        {
            ReportRefresh(task.IsCompletedSuccessfully);
            RefreshState.Record(task, context.TimeProvider);
        });
        _user = user;
        _path = path;
        _context = context;
        var issuer = KubeConfig.Scalar(config, "idp-issuer-url");
        var clientId = KubeConfig.Scalar(config, "client-id");
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUrl) || string.IsNullOrEmpty(clientId))
        {
            throw new InvalidOperationException(
                $"user {user} in the kubeconfig {path} uses the oidc auth-provider without idp-issuer-url and client-id; set them (kubectl config set-credentials {user} --auth-provider=oidc --auth-provider-arg=idp-issuer-url=... --auth-provider-arg=client-id=...)");
        }

        _provider = new OidcProviderClient(issuerUrl, clientId, KubeConfig.Scalar(config, "client-secret") ?? string.Empty, [], context.IssuerClient);
        _idToken = KubeConfig.Scalar(config, "id-token");
        _refreshToken = KubeConfig.Scalar(config, "refresh-token");
    }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var token = _idToken;
        return JwtExpiry.IsFresh(token, _context.TimeProvider) ? ValueTask.FromResult(token!) : new ValueTask<string>(_flight.RunAsync().WaitAsync(cancellationToken));
    }

    public void ClearToken() => _idToken = null;

    public bool HasCachedToken => !string.IsNullOrEmpty(_idToken);

    public DateTimeOffset? CachedTokenExpiry => JwtExpiry.Read(_idToken);

    public TokenRefreshState RefreshState { get; } = new();


    private async Task<string> RefreshAsync()
    {
        {
            if (JwtExpiry.IsFresh(_idToken, _context.TimeProvider))
            {
                return _idToken!;
            }

            if (string.IsNullOrEmpty(_refreshToken))
            {
                throw new InvalidOperationException($"the id-token of user {_user} in {_path} has expired and there is no refresh-token; log in again with your OIDC kubectl login tool");
            }

            using var timeout = new CancellationTokenSource(_context.Timeout);
            var response = await _provider.RefreshAsync(_refreshToken, timeout.Token).ConfigureAwait(false);
            _refreshToken = response.RefreshToken ?? _refreshToken;
            _idToken = response.IdToken;
            var expiry = JwtExpiry.Read(response.IdToken) ?? DateTimeOffset.MaxValue;
            WinchLog.TokenRefreshed(_context.Logger, Name, _provider.Issuer, expiry);
            WriteBack(response.IdToken, _refreshToken);
            return response.IdToken;
        }
    }

    private void WriteBack(string idToken, string refreshToken)
    {
        try
        {
            // Re-read so changes made since start-up (other users, contexts) are kept.
            var kubeconfig = KubeConfig.Load(_path);
            if (kubeconfig.FindUser(_user) is { } user
                && KubeConfig.Child(user, "auth-provider") is YamlMappingNode provider
                && KubeConfig.Child(provider, "config") is YamlMappingNode config)
            {
                KubeConfig.SetScalar(config, "id-token", idToken);
                KubeConfig.SetScalar(config, "refresh-token", refreshToken);
                kubeconfig.Save();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            WinchLog.KubeconfigWriteFailed(_context.Logger, Name, _path, ex);
        }
    }
}
