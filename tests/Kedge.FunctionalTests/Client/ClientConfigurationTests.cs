using System.Net;
using System.Net.Http.Json;
using Kedge.Testing;
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
        Assert.Equal(0, _kedge.Server.ConnectionCount);
    }

    private IHost BuildHost(string settingsFile)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonFile(settingsFile, optional: false, reloadOnChange: true);
        builder.Logging.AddProvider(_logs);
        builder.Services.AddKedgeClient(builder.Configuration.GetSection("Kedge"));
        builder.Services.AddHttpClient("orders", c => c.BaseAddress = new Uri("http://orders.shop.svc.cluster-b.kedge:8080")).AddKedge();
        return builder.Build();
    }
}
