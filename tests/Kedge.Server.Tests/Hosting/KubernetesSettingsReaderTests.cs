using Kedge.GoCompat;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.Server.Tests.Hosting;

public sealed class KubernetesSettingsReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (bool Enabled, List<string> Errors) Read(params string[] flags)
    {
        var config = _dir.Combine("kedge.json");
        File.WriteAllText(config, """{"Kedge":{"Discovery":{"Enabled":true,"ExternalDomainSuffix":"cluster-a.kedge"}}}""");
        var parsed = GoFlagParser.Parse(KedgeProgram.Flags, ["--config=" + config, .. flags], "kedge");
        var errors = new List<string>();
        var (_, discovery) = KubernetesSettingsReader.Read(parsed, KedgeConfigSource.FromFlags(parsed, errors), errors);
        return (discovery.Enabled, errors);
    }

    [Fact]
    public void Read_NativeEnabledWithoutFlag_Enabled()
    {
        var (enabled, errors) = Read();

        Assert.True(enabled);
        Assert.Empty(errors);
    }

    [Fact]
    public void Read_FlagFalseOverNativeTrue_FlagWins()
    {
        var (enabled, errors) = Read("--kedge_dynamic_routings_enabled=false");

        Assert.False(enabled);
        Assert.Empty(errors);
    }
}
