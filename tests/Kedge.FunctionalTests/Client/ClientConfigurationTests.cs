using System.Net;
using System.Net.Http.Json;
using Kedge.Client.Configuration;
using Kedge.Client.Tokens;
using Kedge.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kedge.FunctionalTests.Client;

/// <summary>Kedge.Client configured from a JSON file, as an application would: start-up checks and reloads.</summary>
public sealed class ClientConfigurationTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;

    public async Task InitializeAsync() => _kedge = await KedgeStandIn.StartAsync(_logs);

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task StartAsync_CaKeyTypo_FailsNamingTheKeyBeforeAnyTlsCall()
    {
        var settings = _kedge.Dir.Combine("appsettings.json");
        File.WriteAllText(settings, $$"""
            { "Kedge": {
                "Routes": [ { "Single": { "Url": "{{_kedge.KedgeUrl.ToString().TrimEnd('/')}}" } } ],
                "ClientCertificate": { "CertificateFile": "{{_kedge.ClientSecret.CertificatePath}}", "KeyFile": "{{_kedge.ClientSecret.KeyPath}}" },
                "KedgeCaFile": [ "{{_kedge.CaFile}}" ] } }
            """);
        using var host = BuildHost(settings);
        _logs.ExpectErrors(e => e.EventId.Name == "HostedServiceStartupFaulted");

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(["Kedge:KedgeCaFile: is not a Kedge.Client setting; did you mean 'Kedge:KedgeCaFiles'?"], ex.Failures);

        // A call made anyway fails with the same error before any connection, not with an opaque TLS failure.
        var call = await Record.ExceptionAsync(() => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetAsync("/v1/orders"));
        Assert.Contains("Kedge:KedgeCaFile", Assert.IsType<OptionsValidationException>(call).Message, StringComparison.Ordinal);
        Assert.Equal(0, _kedge.Server.ConnectionCount);
    }

    [Fact]
    public async Task Reload_RouteChanged_NextCallGoesToTheNewKedge()
    {
        await using var other = await KedgeStandIn.StartAsync(_logs, mode: ClientCertificateMode.NoCertificate);
        var settings = WriteSettings(new Settings(_kedge) { CaFiles = [_kedge.CaFile, other.CaFile] });
        using var host = await StartHostAsync(settings);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        using (var first = await http.GetAsync("/v1/orders"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        WriteSettings(new Settings(_kedge) { KedgeUrl = other.KedgeUrl, CaFiles = [_kedge.CaFile, other.CaFile] }, settings);

        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await http.GetAsync("/v1/orders");
                return response.StatusCode == HttpStatusCode.OK && other.Server.RequestCount > 0;
            },
            "calls go to the kedge the reloaded route names");
        var oldKedgeCalls = _kedge.Server.RequestCount;
        var newKedgeCalls = other.Server.RequestCount;
        using (var next = await http.GetAsync("/v1/orders"))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        Assert.Equal((oldKedgeCalls, newKedgeCalls + 1), (_kedge.Server.RequestCount, other.Server.RequestCount));
        Assert.NotEmpty(_logs.WithEventName("ClientConfigurationReloaded"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_TokenChanged_NextCallSendsTheNewToken()
    {
        var settings = WriteSettings(new Settings(_kedge) { Token = "token-v1" });
        using var host = await StartHostAsync(settings);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        Assert.Equal("Bearer token-v1", (await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions))!.Headers["Proxy-Authorization"]);

        WriteSettings(new Settings(_kedge) { Token = "token-v2" }, settings);

        await Eventually.ValueAsync(
            () => http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions),
            echo => echo!.Headers["Proxy-Authorization"] == "Bearer token-v2",
            "the reloaded token source's value is sent");
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_CertificateFilesMoved_NewCallsPresentTheCertificateAtTheNewPaths()
    {
        var moved = new KubernetesSecretVolume(_kedge.Dir.Combine("client-tls-v2"));
        moved.Update(_kedge.Ca.IssueClientCertificate("caller-v2"));
        var settings = WriteSettings(new Settings(_kedge));
        using var host = await StartHostAsync(settings);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        Assert.Equal("CN=caller-v1", (await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions))!.ClientCertificateSubject);

        WriteSettings(new Settings(_kedge) { CertificateFile = moved.CertificatePath, KeyFile = moved.KeyPath }, settings);

        await Eventually.ValueAsync(
            () => http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions),
            echo => echo!.ClientCertificateSubject == "CN=caller-v2",
            "the certificate at the reloaded paths is presented");
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_InvalidChange_KeepsTheLastGoodClientAndLogsWhy()
    {
        var settings = WriteSettings(new Settings(_kedge) { Token = "token-v1" });
        using var host = await StartHostAsync(settings);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        // The CA key misspelt (applied, kedge's certificate would not be trusted) and a route without a URL.
        File.WriteAllText(settings + ".tmp", Json(new Settings(_kedge) { Token = "token-v2", CaKey = "KedgeCaFile", KedgeUrl = null }));
        File.Move(settings + ".tmp", settings, overwrite: true);

        var rejected = await Eventually.ValueAsync(
            () => Task.FromResult(_logs.WithEventName("ClientConfigurationRejected").FirstOrDefault()),
            entry => entry is not null,
            "the invalid reload is logged");
        Assert.Equal(LogLevel.Warning, rejected!.Level);
        Assert.Contains("Kedge:KedgeCaFile: is not a Kedge.Client setting; did you mean 'Kedge:KedgeCaFiles'?", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("Kedge:Routes:0:Single:Url:", rejected.Message, StringComparison.Ordinal);
        var echo = await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions);
        Assert.Equal("Bearer token-v1", echo!.Headers["Proxy-Authorization"]);

        WriteSettings(new Settings(_kedge) { Token = "token-v3" }, settings);

        await Eventually.ValueAsync(
            () => http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions),
            e => e!.Headers["Proxy-Authorization"] == "Bearer token-v3",
            "a valid reload after an invalid one is applied");
        await host.StopAsync();
    }

    [Fact]
    public async Task Reload_ValueTheBinderCannotConvert_KeepsTheLastGoodClientAndLogsTheKey()
    {
        var settings = WriteSettings(new Settings(_kedge) { Token = "token-v1" });
        using var host = await StartHostAsync(settings);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        WriteSettings(new Settings(_kedge) { Token = "token-v2", ConnectTimeout = "soon" }, settings);

        var rejected = await Eventually.ValueAsync(
            () => Task.FromResult(_logs.WithEventName("ClientConfigurationRejected").FirstOrDefault()),
            entry => entry is not null,
            "the unreadable reload is logged");
        Assert.Contains("Kedge:ConnectTimeout", rejected!.Message, StringComparison.Ordinal);
        var echo = await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions);
        Assert.Equal("Bearer token-v1", echo!.Headers["Proxy-Authorization"]);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reload_OnlyOtherSectionsChanged_KeepsTheClientAndItsConnections(bool tokenSourceSetInCode)
    {
        // A token source built in code is a new object on every read of the options, so comparing options alone would
        // call every reload of the application's configuration a change and open new connections each time.
        var settings = WriteSettings(new Settings(_kedge));
        using var host = BuildHost(settings, tokenSourceSetInCode ? o => o.TokenSources["code"] = new KedgeTokenSourceOptions { Source = KedgeTokenSource.FromValue("code", "t") } : null);
        await host.StartAsync();
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        var before = await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions);

        WriteSettings(new Settings(_kedge) { Other = "changed" }, settings);

        await Eventually.TrueAsync(() => _logs.WithEventName("ClientConfigurationUnchanged").Any(), "the reload is seen and found unchanged");
        var after = await http.GetFromJsonAsync<EchoReport>("/v1/orders", LoopbackServer.JsonOptions);
        Assert.Equal(before!.ConnectionId, after!.ConnectionId);
        Assert.Empty(_logs.WithEventName("ClientConfigurationReloaded"));
        await host.StopAsync();
    }

    private static string Json(Settings s)
    {
        var url = s.KedgeUrl is null ? "null" : "\"" + s.KedgeUrl.ToString().TrimEnd('/') + "\"";
        var caFiles = string.Join(", ", s.CaFiles.Select(f => "\"" + f + "\""));
        return $$"""
            { "Other": "{{s.Other}}",
              "Kedge": {
                "Routes": [ { "Single": { "Url": {{url}} }, "ProxyAuth": "mesh" } ],
                "ClientCertificate": { "CertificateFile": "{{s.CertificateFile}}", "KeyFile": "{{s.KeyFile}}" },
                "{{s.CaKey}}": [ {{caFiles}} ],
                "TokenSources": { "mesh": { "Value": "{{s.Token}}" } },
                "ConnectTimeout": "{{s.ConnectTimeout}}" } }
            """;
    }

    /// <summary>Writes the settings file whole (a rename), so a reload never reads half of it.</summary>
    private string WriteSettings(Settings s, string? path = null)
    {
        path ??= _kedge.Dir.Combine("appsettings.json");
        File.WriteAllText(path + ".tmp", Json(s));
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    private async Task<IHost> StartHostAsync(string settingsFile)
    {
        var host = BuildHost(settingsFile);
        await host.StartAsync();
        return host;
    }

    private IHost BuildHost(string settingsFile, Action<KedgeClientOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonFile(settingsFile, optional: false, reloadOnChange: true);
        builder.Logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddKedgeClient(builder.Configuration.GetSection("Kedge"));
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.AddHttpClient("orders", c => c.BaseAddress = new Uri("http://orders.shop.svc.cluster-b.kedge:8080")).AddKedge();
        return builder.Build();
    }

    private sealed record Settings
    {
        public Settings(KedgeStandIn kedge)
        {
            KedgeUrl = kedge.KedgeUrl;
            CaFiles = [kedge.CaFile];
            CertificateFile = kedge.ClientSecret.CertificatePath;
            KeyFile = kedge.ClientSecret.KeyPath;
        }

        public Uri? KedgeUrl { get; init; }

        public string[] CaFiles { get; init; }

        public string CaKey { get; init; } = "KedgeCaFiles";

        public string CertificateFile { get; init; }

        public string KeyFile { get; init; }

        public string Token { get; init; } = "token";

        public string Other { get; init; } = "unchanged";

        public string ConnectTimeout { get; init; } = "00:00:10";
    }
}
