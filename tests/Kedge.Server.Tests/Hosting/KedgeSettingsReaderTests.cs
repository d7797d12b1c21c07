using Kedge.GoCompat;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Hosting;
using Kedge.Server.Hosting.GoFlags;
using Kedge.Testing;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Tests.Hosting;

public sealed class KedgeSettingsReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (KedgeSettingsReport Report, List<string> Errors) Read(string native, Dictionary<string, string?>? environment = null, params string[] flags)
    {
        var config = _dir.Combine("kedge.json");
        File.WriteAllText(config, native);
        var parsed = GoFlagParser.Parse(KedgeProgram.Flags, ["--config=" + config, .. flags], "kedge");
        var errors = new List<string>();
        var (file, fileName) = KedgeConfigSource.FromFlags(parsed, errors)!.ReadSettingsFile();
        var env = new ConfigurationBuilder().AddInMemoryCollection(environment ?? []).Build();
        var report = KedgeSettingsReader.Read(parsed, file, fileName, env, errors);
        return (report, errors);
    }

    private static KedgeSetting Setting(string path) => KedgeSettingCatalog.All.Single(s => s.Path == path);

    private const string DiscoveryOn = """{"Kedge":{"Discovery":{"Enabled":true,"ExternalDomainSuffix":"cluster-a.kedge"}}}""";

    [Fact]
    public void Read_NativeEnabledWithoutFlag_Enabled()
    {
        var (report, errors) = Read(DiscoveryOn);

        Assert.True(report.Settings.Discovery.Enabled);
        Assert.Equal(KedgeSettingSource.NativeFile, report.SourceOf(Setting("Kedge:Discovery:Enabled")));
        Assert.Empty(errors);
    }

    [Fact]
    public void Read_FlagFalseOverNativeTrue_FlagWins()
    {
        var (report, errors) = Read(DiscoveryOn, null, "--kedge_dynamic_routings_enabled=false");

        Assert.False(report.Settings.Discovery.Enabled);
        Assert.Equal(KedgeSettingSource.CommandLine, report.SourceOf(Setting("Kedge:Discovery:Enabled")));
        Assert.Empty(errors);
    }

    [Fact]
    public void Read_SameSettingFromEverySource_CommandLineThenEnvironmentThenFileThenDefault()
    {
        const string native = """{"Kedge":{"Server":{"HttpPort":1001,"GrpcTlsPort":1002,"HttpTlsPort":1003},"Auth":{"OidcClientId":"from-file"},"Kubernetes":{"TokenFile":"/file"}}}""";
        var environment = new Dictionary<string, string?>
        {
            ["Kedge:Server:HttpPort"] = "2001",
            ["Kedge:Server:GrpcTlsPort"] = "2002",
            ["Kedge:Auth:OidcClientId"] = "from-env",
            ["Kedge:Kubernetes:TokenFile"] = "/env",
        };

        var (report, errors) = Read(native, environment, "--server_http_port=3001", "--server_oidc_client_id=from-flag", "--k8client_token_file=/flag");

        Assert.Empty(errors);
        var server = report.Settings.Server;
        Assert.Equal(3001, server.HttpPort);
        Assert.Equal(2002, server.GrpcTlsPort);
        Assert.Equal(1003, server.HttpTlsPort);
        Assert.Equal("from-flag", server.Auth.OidcClientId);
        Assert.Equal("/flag", report.Settings.Kubernetes.TokenFile);
        Assert.Equal(KedgeSettingSource.CommandLine, report.SourceOf(Setting("Kedge:Server:HttpPort")));
        Assert.Equal(KedgeSettingSource.Environment, report.SourceOf(Setting("Kedge:Server:GrpcTlsPort")));
        Assert.Equal(KedgeSettingSource.NativeFile, report.SourceOf(Setting("Kedge:Server:HttpTlsPort")));
        Assert.Equal(KedgeSettingSource.Default, report.SourceOf(Setting("Kedge:Server:MetricsPath")));
        Assert.Equal("--k8client_token_file", report.Origin(Setting("Kedge:Kubernetes:TokenFile")));
    }

    [Fact]
    public void Read_ListInFileAndShorterListInEnvironment_EnvironmentListWinsWhole()
    {
        // Layered configuration merges lists by index: the file's second CA would stay trusted under the environment's one.
        const string native = """{"Kedge":{"Server":{"TlsClientCaFiles":["/file/a.pem","/file/b.pem"]},"Auth":{"OidcWhitelistPerms":["file-1","file-2"]}}}""";
        var environment = new Dictionary<string, string?>
        {
            ["Kedge:Server:TlsClientCaFiles:0"] = "/env/c.pem",
            ["Kedge:Auth:OidcWhitelistPerms:0"] = "env-1",
        };

        var (report, errors) = Read(native, environment);

        Assert.Empty(errors);
        Assert.Equal(["/env/c.pem"], report.Settings.Server.TlsClientCaFiles);
        Assert.Equal(["env-1"], report.Settings.Server.Auth.OidcWhitelistPerms);
        Assert.Equal(KedgeSettingSource.Environment, report.SourceOf(Setting("Kedge:Server:TlsClientCaFiles")));
    }

    [Fact]
    public void Read_RequiredPermAliasWithWhitelist_BothAdd()
    {
        var (report, errors) = Read("""{"Kedge":{"Auth":{"OidcWhitelistPerms":["file"]}}}""", null, "--server_oidc_whitelist_perms=a", "--server_oidc_required_perm=b");

        Assert.Empty(errors);
        Assert.Equal(["a", "b"], report.Settings.Server.Auth.OidcWhitelistPerms);
    }

    [Theory]
    [InlineData("DirectorConfigPath", "--kedge_config_director_config_path")]
    [InlineData("BackendPoolConfig", "--kedge_config_backendpool_config")]
    public void Read_GoConfigKeyInServerSection_ErrorNamesTheFlagInstead(string key, string flag)
    {
        var (_, errors) = Read("{\"Kedge\":{\"Server\":{\"" + key + "\":\"x.json\"}}}");

        var error = Assert.Single(errors);
        Assert.Contains($"Kedge:Server:{key}: is not a setting", error, StringComparison.Ordinal);
        Assert.Contains(flag, error, StringComparison.Ordinal);
        Assert.Contains("kedge.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownEnvironmentKey_ErrorSaysEnvironment()
    {
        var (_, errors) = Read("""{"Kedge":{}}""", new Dictionary<string, string?> { ["Kedge:Server:HttpPrt"] = "1" });

        var error = Assert.Single(errors);
        Assert.Contains("environment", error, StringComparison.Ordinal);
        Assert.Contains("HttpPrt", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_FlagDefaults_AreTheRecordDefaults()
    {
        var parsed = GoFlagParser.Parse(KedgeProgram.Flags, [], "kedge");
        var settings = new KedgeSettings();
        foreach (var setting in KedgeSettingCatalog.All.Where(s => s.Flags.Count > 0))
        {
            var flag = setting.Flags[0];
            var expected = setting.Get(settings) ?? string.Empty;
            Assert.True(
                KedgeSetting.Format(expected) == KedgeSetting.Format(flag.DefaultValue),
                $"--{flag.Name}: flag default {KedgeSetting.Format(flag.DefaultValue)}, {setting.Path} default {KedgeSetting.Format(expected)}");
            Assert.False(parsed.IsSet(flag.Name));
        }
    }

    [Fact]
    public void Catalog_EveryFlagOfASetting_SetsItAndWinsOverTheFile()
    {
        foreach (var setting in KedgeSettingCatalog.All)
        {
            foreach (var flag in setting.Flags)
            {
                var value = flag.Kind switch
                {
                    GoFlagKind.Bool => flag.DefaultValue is true ? "false" : "true",
                    GoFlagKind.Int => "4242",
                    GoFlagKind.Duration => "42s",
                    _ => flag.AllowedValues is { } allowed ? allowed.First(v => !v.Equals(flag.DefaultValue as string, StringComparison.Ordinal)) : "/x42",
                };
                var (report, errors) = Read("""{"Kedge":{}}""", null, $"--{flag.Name}={value}");

                Assert.True(errors.Count == 0, string.Join("\n", errors));
                Assert.Equal(KedgeSettingSource.CommandLine, report.SourceOf(setting));
                Assert.NotEqual(KedgeSetting.Format(setting.DefaultValue), KedgeSetting.Format(setting.Get(report.Settings)));
            }
        }
    }

    [Theory]
    [InlineData(typeof(Kedge.Server.Configuration.KedgeServerSettings), "Server")]
    [InlineData(typeof(Kedge.Server.Configuration.KedgeAuthSettings), "Auth")]
    [InlineData(typeof(Kedge.Server.Kubernetes.KubernetesOptions), "Kubernetes")]
    [InlineData(typeof(Kedge.Server.Discovery.DiscoveryOptions), "Discovery")]
    public void Catalog_EveryBindableProperty_IsADefinedSetting(Type record, string section)
    {
        // A property the binder fills but no definition names would be a setting without help, winner or rule.
        var properties = record.GetProperties().Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.Name != "Auth").Select(p => p.Name).Order(StringComparer.Ordinal);
        var defined = KedgeSettingCatalog.All.Where(s => s.Section == section).Select(s => s.Key).Order(StringComparer.Ordinal);

        Assert.Equal(properties, defined);
    }
}
