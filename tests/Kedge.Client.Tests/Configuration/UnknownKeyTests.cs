using Kedge.Client.Configuration;
using Kedge.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kedge.Client.Tests.Configuration;

/// <summary>Keys under the client's section that no setting reads fail the start, each with its path and the closest real key.</summary>
public sealed class UnknownKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task StartAsync_MisspelledKeys_FailsListingEveryOneWithPathAndDidYouMean()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Kedge:Client:Routes:0:Single:Url"] = "https://kedge.example.com",
            ["Kedge:Client:Routes:0:ProxyAuht"] = "mesh",
            ["Kedge:Client:Routes:1:Singel:Url"] = "https://kedge.example.com",
            ["Kedge:Client:KedgeCaFile"] = caFile,
            ["Kedge:Client:TokenSources:mesh:Valeu"] = "t",
            ["Kedge:Client:ClientCertificate:Pasword"] = "x",
            ["Kedge:Client:ClientCertificate:PfxFile"] = _dir.Combine("none.pfx"),
            ["Kedge:Client:Verbose"] = "true",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failures = ex.Failures.ToList();
        Assert.Contains("Kedge:Client:KedgeCaFile: is not a Kedge.Client setting; did you mean 'Kedge:Client:KedgeCaFiles'?", failures);
        Assert.Contains("Kedge:Client:Routes:0:ProxyAuht: is not a Kedge.Client setting; did you mean 'Kedge:Client:Routes:0:ProxyAuth'?", failures);
        Assert.Contains("Kedge:Client:Routes:1:Singel: is not a Kedge.Client setting; did you mean 'Kedge:Client:Routes:1:Single'?", failures);
        Assert.Contains("Kedge:Client:TokenSources:mesh:Valeu: is not a Kedge.Client setting; did you mean 'Kedge:Client:TokenSources:mesh:Value'?", failures);
        Assert.Contains("Kedge:Client:ClientCertificate:Pasword: is not a Kedge.Client setting; did you mean 'Kedge:Client:ClientCertificate:Password'?", failures);
        Assert.Contains(failures, f => f.StartsWith("Kedge:Client:Verbose: is not a Kedge.Client setting; the settings under Kedge:Client are Routes, ClientCertificate, KedgeCaFiles, TokenSources,", StringComparison.Ordinal));
        Assert.Contains("Kedge:Client:KedgeCaFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_CodeOnlySettingInConfiguration_SaysItIsSetInCode()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Kedge:Client:Routes:0:Single:Url"] = "https://kedge.example.com",
            ["Kedge:Client:Mapper"] = "single",
            ["Kedge:Client:TokenSources:mesh:Source"] = "x",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Kedge:Client:Mapper: is set in code only (KedgeClientOptions.Mapper), not in configuration.", ex.Failures);
        Assert.Contains("Kedge:Client:TokenSources:mesh:Source: is set in code only (KedgeTokenSourceOptions.Source), not in configuration.", ex.Failures);
    }

    [Fact]
    public async Task StartAsync_ChildUnderSingleValueAndNonIndexUnderList_AreReported()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Kedge:Client:Routes:first:Single:Url"] = "https://kedge.example.com",
            ["Kedge:Client:Routes:0:Single:Url"] = "https://kedge.example.com",
            ["Kedge:Client:ConnectTimeout:Seconds"] = "3",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Kedge:Client:Routes:first: Routes is a list; its entries are numbered 0, 1, 2, … (a JSON array).", ex.Failures);
        Assert.Contains("Kedge:Client:ConnectTimeout:Seconds: ConnectTimeout is a single value, not a section; for example \"ConnectTimeout\": \"00:00:10\".", ex.Failures);
    }

    [Fact]
    public async Task StartAsync_SingleValueWhereAListOrSectionGoes_IsReported()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Kedge:Client:Routes:0:Single:Url"] = "https://kedge.example.com",
            ["Kedge:Client:KedgeCaFiles"] = "/etc/kedge/ca.crt",
            ["Kedge:Client:ClientCertificate"] = "/etc/kedge/tls.crt",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Kedge:Client:KedgeCaFiles: KedgeCaFiles is a list: [ \"/etc/kedge/ca.crt\" ], not a single value.", ex.Failures);
        Assert.Contains("Kedge:Client:ClientCertificate: ClientCertificate is a section: { … }, not a single value.", ex.Failures);
    }

    [Fact]
    public async Task StartAsync_DocumentedKeysInMixedCase_Starts()
    {
        var (cert, key) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Path);
        var caFile = _ca.WriteCaPem(_dir.Path);
        var tokenFile = _dir.Combine("token");
        File.WriteAllText(tokenFile, "mesh\n");
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Kedge:Client:Routes:0:Suffix:Pattern"] = "*.kedge",
            ["Kedge:Client:Routes:0:Suffix:KedgeSuffix"] = ".kedge.example.com",
            ["Kedge:Client:Routes:0:Suffix:Scheme"] = "https",
            ["Kedge:Client:Routes:0:ProxyAuth"] = "mesh-token",
            ["Kedge:Client:Routes:0:BackendAuth"] = "static",
            ["Kedge:Client:Routes:1:Regex:Pattern"] = "^(?<c>[a-z]+)\\.internal$",
            ["Kedge:Client:Routes:1:Regex:Url"] = "https://${c}.kedge.example.com",
            ["Kedge:Client:Routes:2:direct:host"] = "legacy.internal:8080",
            ["Kedge:Client:Routes:2:DIRECT:URL"] = "https://kedge-7.example.com:8443",
            ["Kedge:Client:Routes:2:TlsServerName"] = "kedge-7.example.com",
            ["Kedge:Client:Routes:3:Single:Url"] = "https://kedge.cluster-b.example.com",
            ["Kedge:Client:ClientCertificate:CertificateFile"] = cert,
            ["Kedge:Client:ClientCertificate:KeyFile"] = key,
            ["Kedge:Client:KedgeCaFiles:0"] = caFile,
            ["Kedge:Client:TokenSources:mesh-token:File"] = tokenFile,
            ["Kedge:Client:TokenSources:static:Value"] = "not-for-production",
            ["Kedge:Client:PooledConnectionLifetime"] = "00:05:00",
            ["Kedge:Client:FileRefreshInterval"] = "00:00:05",
            ["Kedge:Client:ConnectTimeout"] = "00:00:10",
            ["Kedge:Other:Anything"] = "not ours",
            ["Kedge:Client:TokenSources"] = "",
        });

        await host.StartAsync();

        Assert.NotNull(host.Services.GetRequiredService<KedgeClient>().Mapper.Map("legacy.internal", 8080));
        await host.StopAsync();
    }

    [Fact]
    public void Create_OptionsInCode_NoConfigurationKeysChecked()
    {
        // Options made in code have no configuration section: there are no keys to check, so nothing is refused for them.
        var options = new KedgeClientOptions();
        options.Routes.Add(new KedgeRouteOptions { Single = new KedgeSingleRouteOptions { Url = "https://kedge.example.com" } });

        var error = Record.Exception(() => KedgeClient.Create(options).Dispose());

        Assert.Null(error);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddKedgeClient(builder.Configuration.GetSection("Kedge:Client"));
        return builder.Build();
    }
}
