using Kedge.Winch.Tunnels;

namespace Kedge.Winch.Tests.Tunnels;

public sealed class WinchTunnelTargetTests
{
    [Theory]
    [InlineData("db.cluster-b.kedge:5432", "db.cluster-b.kedge", 5432)]
    [InlineData("[::1]:443", "::1", 443)]
    [InlineData("10.0.0.7:65535", "10.0.0.7", 65535)]
    public void TryParse_HostAndPort_Parsed(string authority, string host, int port)
    {
        Assert.True(WinchTunnelTarget.TryParse(authority, out var target, out _));
        Assert.Equal(new WinchTunnelTarget(host, port), target);
        Assert.Equal(authority, target.ToString());
    }

    [Theory]
    [InlineData("db.cluster-b.kedge")]
    [InlineData("db.cluster-b.kedge:")]
    [InlineData(":5432")]
    [InlineData("[]:5432")]
    [InlineData("::1:443")]
    [InlineData("db.cluster-b.kedge:http")]
    [InlineData("db.cluster-b.kedge:0")]
    [InlineData("db.cluster-b.kedge:65536")]
    [InlineData("db.cluster-b.kedge:+80")]
    public void TryParse_NotHostAndPort_RefusedWithReason(string authority)
    {
        Assert.False(WinchTunnelTarget.TryParse(authority, out _, out var problem));
        Assert.Contains(authority, problem, StringComparison.Ordinal);
    }
}
