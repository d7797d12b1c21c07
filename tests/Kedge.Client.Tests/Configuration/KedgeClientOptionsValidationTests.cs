using System.Text;
using Kedge.Client.Configuration;
using Kedge.Client.Mapping;
using Kedge.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kedge.Client.Tests.Configuration;

public sealed class KedgeClientOptionsValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void AddKedgeClient_IssueExampleJson_BindsAndMapsEveryRouteKind()
    {
        var (cert, key) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Path);
        var caFile = _ca.WriteCaPem(_dir.Path);
        var tokenFile = _dir.Combine("token");
        File.WriteAllText(tokenFile, "mesh\n");
        var json = $$"""
            { "Kedge": {
                "Routes": [
                  { "Suffix": { "Pattern": "*.kedge", "KedgeSuffix": ".kedge.example.com", "Scheme": "https" }, "ProxyAuth": "mesh-token" },
                  { "Regex": { "Pattern": "^(?<svc>[a-z0-9-]+)\\.(?<cluster>[a-z0-9-]+)\\.internal(:[0-9]+)?$", "Url": "https://${cluster}.kedge.example.com" } },
                  { "Direct": { "Host": "legacy.internal:8080", "Url": "https://kedge-7.example.com:8443" } },
                  { "Single": { "Url": "https://kedge.cluster-b.example.com" } } ],
                "ClientCertificate": { "CertificateFile": "{{cert}}", "KeyFile": "{{key}}" },
                "KedgeCaFiles": [ "{{caFile}}" ],
                "TokenSources": { "mesh-token": { "File": "{{tokenFile}}" } } } }
            """;
        using var provider = BuildProvider(json);

        provider.GetRequiredService<IStartupValidator>().Validate();
        var mapper = provider.GetRequiredService<KedgeClient>().Mapper;

        var suffixRoute = mapper.Map("orders.shop.svc.us1.kedge", null)!;
        Assert.Equal("https://us1.kedge.example.com/", suffixRoute.KedgeUrl.ToString());
        Assert.Equal("mesh-token", suffixRoute.ProxyAuth!.Name);
        Assert.Equal("https://cluster-b.kedge.example.com/", mapper.Map("orders.cluster-b.internal", 9000)!.KedgeUrl.ToString());
        Assert.Equal("https://kedge-7.example.com:8443/", mapper.Map("legacy.internal", 8080)!.KedgeUrl.ToString());
        Assert.Equal("https://kedge.cluster-b.example.com/", mapper.Map("legacy.internal", 8081)!.KedgeUrl.ToString());
    }

    [Fact]
    public void StartupValidation_ManyErrors_ListsEveryOneWithItsKey()
    {
        var json = $$"""
            { "Kedge": {
                "Routes": [
                  { "Suffix": { "Pattern": "kedge", "KedgeSuffix": "kedge.example.com" } },
                  { "Regex": { "Pattern": "^(?<svc>[a-z]+)$", "Url": "https://${cluster}.example.com" }, "ProxyAuth": "nope" },
                  { "Direct": { "Host": "legacy:99999", "Url": "https://kedge.example.com" } },
                  { "Single": { "Url": "kedge.example.com" } },
                  { "Single": { "Url": "https://a.example.com" }, "Direct": { "Host": "x", "Url": "https://b.example.com" } },
                  { } ],
                "ClientCertificate": { "CertificateFile": "{{_dir.Combine("missing.crt")}}" },
                "KedgeCaFiles": [ "{{_dir.Combine("missing-ca.crt")}}" ],
                "TokenSources": { "both": { "Value": "a", "File": "b" }, "gone": { "File": "{{_dir.Combine("gone")}}" } },
                "PooledConnectionLifetime": "-00:00:01" } }
            """;
        using var provider = BuildProvider(json);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var errors = ex.Failures.ToList();

        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:0:Suffix:KedgeSuffix: suffixMapper needs to start with a dot", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:1:Regex:Url:", StringComparison.Ordinal) && e.Contains("${cluster}", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:1:ProxyAuth: names the token source 'nope'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:2:Direct:Host:", StringComparison.Ordinal) && e.Contains("65535", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:3:Single:Url:", StringComparison.Ordinal) && e.Contains("absolute URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:4: set exactly one of", StringComparison.Ordinal) && e.Contains("2 are set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Routes:5: set exactly one of", StringComparison.Ordinal) && e.Contains("0 are set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:ClientCertificate:KeyFile: is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:KedgeCaFiles:", StringComparison.Ordinal) && e.Contains("missing-ca.crt", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:TokenSources:both: set exactly one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:TokenSources:gone:File: the token file", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:PooledConnectionLifetime: must be a positive duration", StringComparison.Ordinal));
        Assert.Equal(12, errors.Count);
    }

    [Fact]
    public void Create_NoRoutes_FailsWithExample()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => KedgeClient.Create(new KedgeClientOptions()));

        Assert.Equal("Kedge:Routes: no routes are configured; add at least one, for example { \"Single\": { \"Url\": \"https://kedge.cluster-b.example.com\" } }.", Assert.Single(ex.Failures));
    }

    [Fact]
    public void Create_CertificateAndKeyMismatch_FailsAtStart()
    {
        var (cert, _) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("one"), _dir.Combine("one"));
        var (_, otherKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("two"), _dir.Combine("two"));
        var options = new KedgeClientOptions
        {
            Mapper = KedgeMapper.Single(new Uri("https://kedge.example.com")),
            ClientCertificate = new KedgeClientCertificateOptions { CertificateFile = cert, KeyFile = otherKey },
        };

        var ex = Assert.Throws<OptionsValidationException>(() => KedgeClient.Create(options));

        var error = Assert.Single(ex.Failures);
        Assert.StartsWith("Kedge:ClientCertificate: Could not load", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_PfxClientCertificate_Loads()
    {
        var pfx = _dir.Combine("client.pfx");
        File.WriteAllBytes(pfx, _ca.IssueClientCertificate("pfx-caller").Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "secret"));
        var options = new KedgeClientOptions
        {
            Mapper = KedgeMapper.Single(new Uri("https://kedge.example.com")),
            ClientCertificate = new KedgeClientCertificateOptions { PfxFile = pfx, Password = "secret" },
        };

        using var client = KedgeClient.Create(options);

        Assert.NotNull(client.Mapper);
    }

    [Fact]
    public void AddKedgeClient_CodeConfiguration_UsesMapperAndNamedSection()
    {
        var services = new ServiceCollection();
        services.AddKedgeClient(o => o.Mapper = KedgeMapper.Single(new Uri("https://kedge.example.com")));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.NotNull(provider.GetRequiredService<KedgeClient>().Mapper.Map("a.b", null));
    }

    private static ServiceProvider BuildProvider(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddKedgeClient(configuration.GetSection("Kedge"));
        return services.BuildServiceProvider();
    }
}
