using Kedge.Testing;
using Kedge.Winch.Auth;

namespace Kedge.Winch.Tests.Auth;

public sealed class KubeConfigSaveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Save_ThroughSymlink_TargetRewrittenLinkKeptMode0600NoTempLeft()
    {
        var real = _dir.Combine("real-config");
        File.WriteAllText(real, "apiVersion: v1\nkind: Config\nusers:\n- name: alice\n  user:\n    token: t1\n");
        var link = _dir.Combine("config");
        File.CreateSymbolicLink(link, real);

        KubeConfig.Load(link).Save();

        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("alice", File.ReadAllText(real), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(real));
        Assert.Equal(["config", "real-config"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
