using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kedge.Client.Tokens;
using Kedge.Winch.Internal;

namespace Kedge.Winch.Auth;

/// <summary>
/// Go winch's <c>service_account_oidc</c> source: an OIDC ID token for a Google-style service account. winch signs a
/// JWT with the account's private key (RS256, <c>target_audience</c> = the client id), exchanges it at the key file's
/// <c>token_uri</c> with the JWT-bearer grant, and reuses the ID token while it is valid.
/// </summary>
internal sealed class ServiceAccountOidcTokenSource : KedgeTokenSource, IClearableTokenSource
{
    private static readonly TimeSpan AssertionLifetime = TimeSpan.FromHours(1);

    private readonly string _clientEmail;
    private readonly string _privateKeyPem;
    private readonly string? _keyId;
    private readonly Uri _tokenUri;
    private readonly string _audience;
    private readonly WinchAuthContext _context;
    private readonly SingleFlight<string> _flight;
    private volatile string? _idToken;

    private ServiceAccountOidcTokenSource(string name, string clientEmail, string privateKeyPem, string? keyId, Uri tokenUri, string audience, WinchAuthContext context)
        : base(name)
    {
        _clientEmail = clientEmail;
        _privateKeyPem = privateKeyPem;
        _keyId = keyId;
        _tokenUri = tokenUri;
        _audience = audience;
        _context = context;
        _flight = new SingleFlight<string>(FetchAsync);
    }

    /// <summary>Reads the service account key file; the exception message names the file and what is wrong.</summary>
    public static ServiceAccountOidcTokenSource Create(string name, string keyFile, string audience, WinchAuthContext context)
    {
        if (audience.Length == 0)
        {
            throw new InvalidOperationException("service_account_oidc needs client_id: the audience the ID token is for");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(OidcTokenSource.ExpandHome(keyFile)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            throw new InvalidOperationException($"failed to open google SA JSON file from {keyFile}: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            string? Text(string field) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var email = Text("client_email");
            var key = Text("private_key");
            if (email is null || key is null || !Uri.TryCreate(Text("token_uri"), UriKind.Absolute, out var tokenUri))
            {
                throw new InvalidOperationException($"the service account key file {keyFile} lacks client_email, private_key or token_uri; download the account's JSON key again");
            }

            using (var rsa = RSA.Create())
            {
                try
                {
                    rsa.ImportFromPem(key);
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidOperationException($"the private_key in {keyFile} is not a PEM RSA key: {ex.Message}", ex);
                }
            }

            return new ServiceAccountOidcTokenSource(name, email, key, Text("private_key_id"), tokenUri, audience, context);
        }
    }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var token = _idToken;
        return JwtExpiry.IsFresh(token, _context.TimeProvider) ? ValueTask.FromResult(token!) : new ValueTask<string>(_flight.RunAsync().WaitAsync(cancellationToken));
    }

    public void ClearToken() => _idToken = null;

    private async Task<string> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(_context.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenUri)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                new("assertion", CreateAssertion()),
            ]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _context.IssuerClient.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"could not reach {_tokenUri} for the service account {_clientEmail}: {ex.Message}", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            string? idToken = null;
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id_token", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    idToken = id.GetString();
                }
            }
            catch (JsonException)
            {
                // Reported below with the body.
            }

            if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(idToken))
            {
                throw new InvalidOperationException($"{_tokenUri} gave no ID token for the service account {_clientEmail}: {(int)response.StatusCode} {(body.Length > 300 ? body[..300] : body)}");
            }

            _idToken = idToken;
            var expiry = JwtExpiry.Read(idToken) ?? DateTimeOffset.MaxValue;
            WinchLog.TokenRefreshed(_context.Logger, Name, _tokenUri, expiry);
            return idToken;
        }
    }

    private string CreateAssertion()
    {
        var now = _context.TimeProvider.GetUtcNow();
        var header = new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT" };
        if (_keyId is not null)
        {
            header["kid"] = _keyId;
        }

        var claims = new Dictionary<string, object>
        {
            ["iss"] = _clientEmail,
            ["sub"] = _clientEmail,
            ["aud"] = _tokenUri.ToString(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(AssertionLifetime).ToUnixTimeSeconds(),
            ["target_audience"] = _audience,
        };
        var signingInput = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(_privateKeyPem);
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }
}
