using System.Net.Http.Headers;
using System.Text.Json;

namespace Kedge.Winch.Auth;

/// <summary>
/// The OAuth 2.0 / OpenID Connect calls winch makes to one issuer: discovery, the authorization URL (code flow with
/// PKCE), code exchange and refresh. Errors name the issuer and the step.
/// </summary>
internal sealed class OidcProviderClient
{
    private static readonly string[] OpenIdScope = ["openid"];

    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private Task<JsonElement>? _discovery;

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

    /// <summary>The authorization endpoint URL that starts a code flow with PKCE (S256).</summary>
    public async Task<Uri> GetAuthorizationUrlAsync(string redirectUri, string state, string codeChallenge, CancellationToken cancellationToken)
    {
        var endpoint = await GetEndpointAsync("authorization_endpoint", cancellationToken).ConfigureAwait(false);
        var scope = string.Join(' ', OpenIdScope.Concat(Scopes.Where(s => s != "openid")));
        var query = string.Join('&', new (string Key, string Value)[]
        {
            ("response_type", "code"),
            ("client_id", ClientId),
            ("redirect_uri", redirectUri),
            ("scope", scope),
            ("state", state),
            ("code_challenge", codeChallenge),
            ("code_challenge_method", "S256"),
        }.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
        var separator = endpoint.Query.Length > 0 ? "&" : "?";
        return new Uri(endpoint + separator + query);
    }

    /// <summary>Exchanges an authorization code (with its PKCE verifier) for tokens.</summary>
    public Task<OidcTokenResponse> ExchangeCodeAsync(string code, string redirectUri, string codeVerifier, CancellationToken cancellationToken)
        => RequestTokenAsync(
            "exchange the login code",
            [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", redirectUri), new("code_verifier", codeVerifier)],
            cancellationToken);

    /// <summary>Gets a new ID token with a refresh token.</summary>
    public Task<OidcTokenResponse> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
        => RequestTokenAsync("refresh the ID token", [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)], cancellationToken);

    /// <summary>True when the issuer offers the device authorization grant (RFC 8628).</summary>
    public async Task<bool> SupportsDeviceLoginAsync(CancellationToken cancellationToken)
    {
        var discovery = await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false);
        return discovery.TryGetProperty("device_authorization_endpoint", out var value) && value.ValueKind == JsonValueKind.String;
    }

    /// <summary>Starts a device login: the code the user enters and where.</summary>
    public async Task<OidcDeviceAuthorization> StartDeviceLoginAsync(CancellationToken cancellationToken)
    {
        var endpoint = await GetEndpointAsync("device_authorization_endpoint", cancellationToken).ConfigureAwait(false);
        var scope = string.Join(' ', OpenIdScope.Concat(Scopes.Where(s => s != "openid")));
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(ClientForm([new("scope", scope)])) };
        using var response = await Send(request, "start a device login", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the issuer {Issuer} refused to start a device login: {(int)response.StatusCode} {Shorten(body)}");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            int Seconds(string name, int fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0 ? n : fallback;
            var deviceCode = Text("device_code");
            var userCode = Text("user_code");
            var verificationUri = Text("verification_uri") ?? Text("verification_url");
            if (deviceCode is null || userCode is null || verificationUri is null)
            {
                throw new InvalidOperationException($"the issuer {Issuer} started a device login without device_code, user_code or verification_uri");
            }

            return new OidcDeviceAuthorization(deviceCode, userCode, verificationUri, Text("verification_uri_complete"), TimeSpan.FromSeconds(Seconds("interval", 5)), TimeSpan.FromSeconds(Seconds("expires_in", 600)));
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"the issuer {Issuer} answered the device login request with something that is not JSON: {Shorten(body)}", ex);
        }
    }

    /// <summary>Asks once whether the device login finished: the tokens, or the OAuth error code (<c>authorization_pending</c>, <c>slow_down</c>, …).</summary>
    public async Task<(OidcTokenResponse? Tokens, string? Error)> PollDeviceLoginAsync(string deviceCode, CancellationToken cancellationToken)
    {
        var endpoint = await GetEndpointAsync("token_endpoint", cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent(ClientForm([new("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), new("device_code", deviceCode)])),
        };
        using var response = await Send(request, "finish the device login", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
                {
                    return (null, error.GetString());
                }
            }
            catch (JsonException)
            {
                // Reported below with the body.
            }

            throw new InvalidOperationException($"the issuer {Issuer} refused to finish the device login: {(int)response.StatusCode} {Shorten(body)}");
        }

        return (ParseTokens(body, "finish the device login"), null);
    }

    private List<KeyValuePair<string, string>> ClientForm(List<KeyValuePair<string, string>> form)
    {
        form.Add(new("client_id", ClientId));
        if (ClientSecret.Length > 0)
        {
            form.Add(new("client_secret", ClientSecret));
        }

        return form;
    }

    private async Task<OidcTokenResponse> RequestTokenAsync(string step, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var endpoint = await GetEndpointAsync("token_endpoint", cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(ClientForm(form)) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await Send(request, step, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the issuer {Issuer} refused to {step}: {(int)response.StatusCode} {Shorten(body)}");
        }

        return ParseTokens(body, step);
    }

    private OidcTokenResponse ParseTokens(string body, string step)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var idToken = root.TryGetProperty("id_token", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (string.IsNullOrEmpty(idToken))
            {
                throw new InvalidOperationException($"the issuer {Issuer} answered the request to {step} without an id_token; check that the scopes include 'openid'");
            }

            var refresh = root.TryGetProperty("refresh_token", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var access = root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            return new OidcTokenResponse(idToken, refresh, access);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"the issuer {Issuer} answered the request to {step} with something that is not JSON: {Shorten(body)}", ex);
        }
    }

    private async Task<Uri> GetEndpointAsync(string name, CancellationToken cancellationToken)
    {
        var discovery = await GetDiscoveryAsync(cancellationToken).ConfigureAwait(false);
        if (discovery.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri))
        {
            return uri;
        }

        throw new InvalidOperationException($"the issuer {Issuer} does not give a {name} in its /.well-known/openid-configuration");
    }

    /// <summary>The discovery document, read once; a failed read is tried again by the next caller.</summary>
    private Task<JsonElement> GetDiscoveryAsync(CancellationToken cancellationToken)
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

    private async Task<JsonElement> ReadDiscoveryAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var cancellationToken = timeout.Token;
        {
            var url = new Uri(Issuer.ToString().TrimEnd('/') + "/.well-known/openid-configuration");
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await Send(request, "read its discovery document", cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the issuer {Issuer} answered {(int)response.StatusCode} for {url}; check the provider URL");
            }

            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"the issuer {Issuer} served something that is not JSON at {url}", ex);
            }
        }
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, string step, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"could not reach the issuer {Issuer} to {step}: {ex.Message}", ex);
        }
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + "…" : body;
}
