using System.Security.Cryptography;
using System.Text.Json;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Kedge.Client.Tokens;
using Kedge.Winch.Internal;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Winch.Auth;

/// <summary>
/// Go winch's <c>service_account_oidc</c> source: an OIDC ID token for a Google-style service account. winch signs a
/// JWT with the account's private key (RS256 with IdentityModel's <see cref="JsonWebTokenHandler"/>,
/// <c>target_audience</c> = the client id), exchanges it at the key file's <c>token_uri</c> with the JWT-bearer grant
/// (Duende.IdentityModel), and reuses the ID token while it is valid.
/// </summary>
internal sealed class ServiceAccountOidcTokenSource : KedgeTokenSource, IClearableTokenSource, ITrackedTokenSource
{
    private static readonly TimeSpan AssertionLifetime = TimeSpan.FromHours(1);

    // Exactly the claims below: no nbf, and iat/exp from winch's clock rather than the handler's.
    private static readonly JsonWebTokenHandler AssertionHandler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly string _clientEmail;
    private readonly SigningCredentials _signingCredentials;
    private readonly Uri _tokenUri;
    private readonly string _audience;
    private readonly WinchAuthContext _context;
    private readonly SingleFlight<string> _flight;
    private volatile string? _idToken;

    private ServiceAccountOidcTokenSource(string name, string clientEmail, SigningCredentials signingCredentials, Uri tokenUri, string audience, WinchAuthContext context)
        : base(name)
    {
        _clientEmail = clientEmail;
        _signingCredentials = signingCredentials;
        _tokenUri = tokenUri;
        _audience = audience;
        _context = context;
        _flight = new SingleFlight<string>(FetchAsync, task =>
        {
            ReportRefresh(task.IsCompletedSuccessfully);
            RefreshState.Record(task, context.TimeProvider);
        });
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

            RSAParameters parameters;
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

                // Parameters rather than the RSA object: IdentityModel caches signature providers per key, so the key must
                // outlive every signing; it owns the RSA it makes from these.
                parameters = rsa.ExportParameters(includePrivateParameters: true);
            }

            var signingKey = new RsaSecurityKey(parameters) { KeyId = Text("private_key_id") };
            return new ServiceAccountOidcTokenSource(name, email, new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256), tokenUri, audience, context);
        }
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

    private async Task<string> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(_context.Timeout);
        using var request = new TokenRequest
        {
            Address = _tokenUri.ToString(),
            GrantType = OidcConstants.GrantTypes.JwtBearer,
            Parameters = new Parameters([new(OidcConstants.TokenRequest.Assertion, CreateAssertion())]),
        };
        using var response = await _context.IssuerClient.RequestTokenAsync(request, timeout.Token).ConfigureAwait(false);
        if (response.HttpResponse is null)
        {
            throw new InvalidOperationException($"could not reach {_tokenUri} for the service account {_clientEmail}: {response.Error}", response.Exception);
        }

        var idToken = response.IdentityToken;
        if (response.IsError || string.IsNullOrEmpty(idToken))
        {
            var body = response.Raw ?? string.Empty;
            throw new InvalidOperationException($"{_tokenUri} gave no ID token for the service account {_clientEmail}: {(int)response.HttpStatusCode} {(body.Length > 300 ? body[..300] : body)}");
        }

        _idToken = idToken;
        var expiry = JwtExpiry.Read(idToken) ?? DateTimeOffset.MaxValue;
        WinchLog.TokenRefreshed(_context.Logger, Name, _tokenUri, expiry);
        return idToken;
    }

    /// <summary>The JWT-bearer assertion (RFC 7523) Google's token endpoint expects, signed with IdentityModel.</summary>
    private string CreateAssertion()
    {
        var now = _context.TimeProvider.GetUtcNow();
        return AssertionHandler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _clientEmail,
            Audience = _tokenUri.ToString(),
            IssuedAt = now.UtcDateTime,
            Expires = now.Add(AssertionLifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = _clientEmail,
                ["target_audience"] = _audience,
            },
            SigningCredentials = _signingCredentials,
        });
    }
}
