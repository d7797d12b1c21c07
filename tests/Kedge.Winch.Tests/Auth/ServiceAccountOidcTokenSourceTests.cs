using System.Security.Cryptography;
using System.Text.Json;
using Kedge.Testing;
using Kedge.Winch.Auth;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Winch.Tests.Auth;

[Collection(ProcessWideListeners.Name)] // one test listens to the process-wide Kedge.Client meter
public sealed class ServiceAccountOidcTokenSourceTests : IDisposable
{
    private const string Email = "winch@project.iam.example.com";

    private readonly TempDirectory _dir = new();
    private readonly TestLogSink _logs = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _issuerClient = WinchAuthContext.CreateIssuerClient();
    private readonly RSA _key = RSA.Create(2048);

    public void Dispose()
    {
        _key.Dispose();
        _issuerClient.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    private ServiceAccountOidcTokenSource Build(TestIssuer issuer, string? keyId = "key-1", string name = "gsa")
    {
        var fields = new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["client_email"] = Email,
            ["private_key"] = _key.ExportPkcs8PrivateKeyPem(),
            ["token_uri"] = issuer.Url + "token",
        };
        if (keyId is not null)
        {
            fields["private_key_id"] = keyId;
        }

        var file = _dir.Combine("sa.json");
        File.WriteAllText(file, JsonSerializer.Serialize(fields));
        var context = new WinchAuthContext(_clock, _issuerClient, _logs.CreateLogger("test"), TimeSpan.FromSeconds(20));
        return ServiceAccountOidcTokenSource.Create(name, file, "kedge-audience", context);
    }

    [Fact]
    public async Task GetToken_Assertion_Rs256WithKeyIdAndGoogleClaims()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.ServiceAccountKey = _key;
        var source = Build(issuer);

        var token = await source.GetTokenAsync();

        var assertion = issuer.LastAssertion!;
        Assert.Equal("RS256", assertion.Alg);
        Assert.Equal("key-1", assertion.Kid);
        Assert.Equal("JWT", assertion.Typ);
        Assert.Equal(Email, assertion.Issuer);
        Assert.Equal(Email, assertion.Subject);
        Assert.Equal(issuer.Url + "token", Assert.Single(assertion.Audiences));
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, assertion.IssuedAt);
        Assert.Equal(_clock.GetUtcNow().AddHours(1).UtcDateTime, assertion.ValidTo);
        Assert.Equal("kedge-audience", assertion.GetPayloadValue<string>("target_audience"));
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", issuer.LastTokenForm["grant_type"]);
        Assert.Equal("id-1", TestIssuer.SubjectOf(token));
    }

    [Fact]
    public async Task GetToken_KeyFileWithoutKeyId_AssertionWithoutKid()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.ServiceAccountKey = _key;
        var source = Build(issuer, keyId: null);

        await source.GetTokenAsync();

        Assert.False(issuer.LastAssertion!.TryGetHeaderValue<string>("kid", out _));
    }

    [Fact]
    public async Task GetToken_IssuerRejectsSignature_ErrorNamesTokenUriAndAccount()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        using var other = RSA.Create(2048);
        issuer.ServiceAccountKey = other;
        var source = Build(issuer);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"{issuer.Url}token gave no ID token for the service account {Email}: 400 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_grant", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_FetchAndFailedFetch_CountedInKedgeClientTokenRefreshes()
    {
        var name = "gsa-" + Guid.NewGuid().ToString("N");
        var results = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Kedge.Client.KedgeClientDiagnostics.MeterName && instrument.Name == "kedge.client.token_refreshes")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            if (all.Any(t => t.Key == "source" && (string?)t.Value == name))
            {
                results.Enqueue((string)all.Single(t => t.Key == "result").Value!);
            }
        });
        listener.Start();
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.ServiceAccountKey = _key;
        var source = Build(issuer, name: name);

        await source.GetTokenAsync();
        source.ClearToken();
        using var other = RSA.Create(2048);
        issuer.ServiceAccountKey = other;
        await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        await Eventually.TrueAsync(() => results.Count == 2, "both fetches are counted");
        Assert.Equal(["success", "failure"], results);
    }
}
