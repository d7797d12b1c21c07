using System.Text.Json;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;

namespace Kedge.Winch.Auth;

/// <summary>
/// The OAuth 2.0 / OpenID Connect calls winch makes to one issuer, through Duende.IdentityModel on winch's issuer
/// <see cref="HttpClient"/> (no proxy, no redirects): discovery, the authorization URL (code flow with PKCE), code
/// exchange, refresh and the device grant. Errors name the issuer and the step.
/// </summary>
internal sealed class OidcProviderClient
{
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private Task<DiscoveryDocumentResponse>? _discovery;

    public OidcProviderClient(Uri issuer, string clientId, string clientSecret, IReadOnlyList<string> scopes, HttpClient http)
    {
        Issuer = issuer;
        ClientId = clientId;
        ClientSecret = clientSecret;
        Scopes = scopes;
        _http = http;
    }

    public Uri Issuer { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    public IReadOnlyList<string> Scopes { get; }

    private string Scope => string.Join(' ', Scopes.Where(s => s != OidcConstants.StandardScopes.OpenId).Prepend(OidcConstants.StandardScopes.OpenId));

    /// <summary>The authorization endpoint URL that starts a code flow with PKCE (S256).</summary>
    public async Task<Uri> GetAuthorizationUrlAsync(string redirectUri, string state, string codeChallenge, CancellationToken cancellationToken)
    {
        var discovery = await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false);
        var url = new RequestUrl(Endpoint(discovery.AuthorizeEndpoint, OidcConstants.Discovery.AuthorizationEndpoint)).CreateAuthorizeUrl(
            clientId: ClientId,
            responseType: OidcConstants.ResponseTypes.Code,
            scope: Scope,
            redirectUri: redirectUri,
            state: state,
            codeChallenge: codeChallenge,
            codeChallengeMethod: OidcConstants.CodeChallengeMethods.Sha256);
        return new Uri(url);
    }

    /// <summary>Exchanges an authorization code (with its PKCE verifier) for tokens.</summary>
    public async Task<OidcTokenResponse> ExchangeCodeAsync(string code, string redirectUri, string codeVerifier, CancellationToken cancellationToken)
    {
        var tokenEndpoint = await GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        using var request = WithClient(new AuthorizationCodeTokenRequest { Address = tokenEndpoint, Code = code, RedirectUri = redirectUri, CodeVerifier = codeVerifier });
        using var response = await _http.RequestAuthorizationCodeTokenAsync(request, cancellationToken).ConfigureAwait(false);
        return Tokens(response, "exchange the login code");
    }

    /// <summary>Gets a new ID token with a refresh token.</summary>
    public async Task<OidcTokenResponse> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var tokenEndpoint = await GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        using var request = WithClient(new RefreshTokenRequest { Address = tokenEndpoint, RefreshToken = refreshToken });
        using var response = await _http.RequestRefreshTokenAsync(request, cancellationToken).ConfigureAwait(false);
        return Tokens(response, "refresh the ID token");
    }

    /// <summary>True when the issuer offers the device authorization grant (RFC 8628).</summary>
    public async Task<bool> SupportsDeviceLoginAsync(CancellationToken cancellationToken)
        => (await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false)).DeviceAuthorizationEndpoint is not null;

    /// <summary>Starts a device login: the code the user enters and where.</summary>
    public async Task<OidcDeviceAuthorization> StartDeviceLoginAsync(CancellationToken cancellationToken)
    {
        const string Step = "start a device login";
        var discovery = await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false);
        var endpoint = Endpoint(discovery.DeviceAuthorizationEndpoint, OidcConstants.Discovery.DeviceAuthorizationEndpoint);
        using var request = WithClient(new DeviceAuthorizationRequest { Address = endpoint, Scope = Scope });
        using var response = await _http.RequestDeviceAuthorizationAsync(request, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(response, Step);

        // Google's device endpoint still says verification_url, the draft's name.
        var verificationUri = response.VerificationUri ?? response.TryGet("verification_url");
        if (response.DeviceCode is not { } deviceCode || response.UserCode is not { } userCode || verificationUri is null)
        {
            throw new InvalidOperationException($"the issuer {Issuer} started a device login without device_code, user_code or verification_uri");
        }

        return new OidcDeviceAuthorization(
            deviceCode,
            userCode,
            verificationUri,
            response.VerificationUriComplete,
            TimeSpan.FromSeconds(response.Interval > 0 ? response.Interval : 5),
            TimeSpan.FromSeconds(response.ExpiresIn is > 0 and var seconds ? seconds : 600));
    }

    /// <summary>Asks once whether the device login finished: the tokens, or the OAuth error code (<c>authorization_pending</c>, <c>slow_down</c>, …).</summary>
    public async Task<(OidcTokenResponse? Tokens, string? Error)> PollDeviceLoginAsync(string deviceCode, CancellationToken cancellationToken)
    {
        var tokenEndpoint = await GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        using var request = WithClient(new DeviceTokenRequest { Address = tokenEndpoint, DeviceCode = deviceCode });
        using var response = await _http.RequestDeviceTokenAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.HttpResponse is { IsSuccessStatusCode: false } && response.TryGet(OidcConstants.TokenResponse.Error) is { } error)
        {
            return (null, error);
        }

        return (Tokens(response, "finish the device login"), null);
    }

    /// <summary>The client authenticates in the form body (<c>client_secret_post</c>), and only when it has a secret.</summary>
    private T WithClient<T>(T request)
        where T : ProtocolRequest
    {
        request.ClientId = ClientId;
        request.ClientSecret = ClientSecret.Length > 0 ? ClientSecret : null;
        request.ClientCredentialStyle = ClientCredentialStyle.PostBody;
        return request;
    }

    private OidcTokenResponse Tokens(TokenResponse response, string step)
    {
        ThrowIfFailed(response, step);
        if (string.IsNullOrEmpty(response.IdentityToken))
        {
            throw new InvalidOperationException($"the issuer {Issuer} answered the request to {step} without an id_token; check that the scopes include 'openid'");
        }

        return new OidcTokenResponse(response.IdentityToken, response.RefreshToken, response.AccessToken);
    }

    /// <summary>Turns a failed protocol response into an error that says whether the issuer was unreachable, refused or answered nonsense.</summary>
    private void ThrowIfFailed(ProtocolResponse response, string step)
    {
        if (!response.IsError)
        {
            return;
        }

        if (response.HttpResponse is null)
        {
            throw new InvalidOperationException($"could not reach the issuer {Issuer} to {step}: {response.Exception?.Message ?? response.Error}", response.Exception);
        }

        if (response.HttpResponse.IsSuccessStatusCode && response.Exception is not null)
        {
            throw new InvalidOperationException($"the issuer {Issuer} answered the request to {step} with something that is not JSON: {Shorten(response.Raw)}", response.Exception);
        }

        throw new InvalidOperationException($"the issuer {Issuer} refused to {step}: {(int)response.HttpStatusCode} {Shorten(response.Raw)}");
    }

    private async Task<string> GetTokenEndpointAsync(CancellationToken cancellationToken)
        => Endpoint((await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false)).TokenEndpoint, OidcConstants.Discovery.TokenEndpoint);

    private string Endpoint(string? value, string name)
        => value ?? throw new InvalidOperationException($"the issuer {Issuer} does not give a {name} in its /.well-known/openid-configuration");

    /// <summary>The discovery document, read once; a failed read is tried again by the next caller.</summary>
    private Task<DiscoveryDocumentResponse> GetDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_discovery is null || _discovery.IsFaulted || _discovery.IsCanceled)
            {
                _discovery = ReadDiscoveryAsync();
            }

            return _discovery.WaitAsync(cancellationToken);
        }
    }

    private async Task<DiscoveryDocumentResponse> ReadDiscoveryAsync()
    {
        // Shared by every caller, so not tied to the first caller's cancellation.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var url = Issuer.ToString().TrimEnd('/') + "/" + OidcConstants.Discovery.DiscoveryEndpoint;
        using var request = new DiscoveryDocumentRequest
        {
            Address = Issuer.ToString(),
            Policy = new DiscoveryPolicy
            {
                // The library's checks stay on: HTTPS for the issuer and every endpoint (plain HTTP only on loopback) and
                // the document's issuer equal to the configured one. Two are off: winch only carries the tokens (kedge
                // verifies them), so it needs no key set; and large issuers serve endpoints from other hosts (Google's
                // token endpoint is not on accounts.google.com).
                RequireKeySet = false,
                ValidateEndpoints = false,
            },
        };
        var discovery = await _http.GetDiscoveryDocumentAsync(request, timeout.Token).ConfigureAwait(false);
        if (!discovery.IsError)
        {
            return discovery;
        }

        using (discovery)
        {
            throw discovery switch
            {
                { Exception: JsonException } => new InvalidOperationException($"the issuer {Issuer} served something that is not JSON at {url}", discovery.Exception),
                { HttpResponse: null } => new InvalidOperationException($"could not reach the issuer {Issuer} to read its discovery document: {discovery.Exception?.Message ?? discovery.Error}", discovery.Exception),
                { ErrorType: ResponseErrorType.PolicyViolation } => new InvalidOperationException($"the issuer {Issuer} serves a discovery document at {url} that winch refuses: {discovery.Error}; check the provider URL"),
                _ => new InvalidOperationException($"the issuer {Issuer} answered {(int)discovery.HttpStatusCode} for {discovery.HttpResponse.RequestMessage?.RequestUri?.ToString() ?? url}; check the provider URL"),
            };
        }
    }

    private static string Shorten(string? body) => body is null ? string.Empty : body.Length > 300 ? body[..300] + "…" : body;
}
