using System.Net;
using Kedge.Winch.Forward;

namespace Kedge.Winch.Tests.Forward;

public sealed class WinchForwardSpecTests
{
    private static (List<WinchForwardSpec> Specs, List<string> Remaining, List<string> Errors) Extract(params string[] args)
    {
        var rest = new List<string>();
        var errors = new List<string>();
        return (WinchForwardSpec.Extract(args, rest, errors), rest, errors);
    }

    [Fact]
    public void Extract_SeveralForwardsAmongWinchFlags_TakesTheForwardsAndLeavesTheFlags()
    {
        var (specs, rest, errors) = Extract(
            "--listen", "127.0.0.1:5432", "postgres.db.svc.cluster-b.kedge:5432",
            "--client_tls_cert_file=/tls.crt",
            "--listen=[::1]:6379", "redis.cache.svc.cluster-b.kedge:6379",
            "-listen", "localhost:8443", "api.cluster-b.kedge:443");

        Assert.Empty(errors);
        Assert.Equal(["--client_tls_cert_file=/tls.crt"], rest);
        Assert.Equal(3, specs.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5432), specs[0].EndPoint);
        Assert.Equal("postgres.db.svc.cluster-b.kedge:5432", specs[0].Target.ToString());
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 6379), specs[1].EndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8443), specs[2].EndPoint);
    }

    [Theory]
    [InlineData("0.0.0.0:5432", "loopback addresses only")]
    [InlineData(":5432", "loopback addresses only")]
    [InlineData("192.168.1.10:5432", "loopback addresses only")]
    [InlineData("db.local:5432", "not host:port with a loopback IP address or localhost")]
    [InlineData("127.0.0.1", "not host:port with a loopback IP address or localhost")]
    public void Extract_ListenAddressNotLoopback_RefusedNamingTheFlagAndTheFix(string listen, string expected)
    {
        var (specs, _, errors) = Extract("--listen", listen, "postgres.db.svc.cluster-b.kedge:5432");

        Assert.Empty(specs);
        var error = Assert.Single(errors);
        Assert.StartsWith($"--listen {listen}: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres.db.svc.cluster-b.kedge", "is not host:port")]
    [InlineData("postgres.db.svc.cluster-b.kedge:0", "the port must be a number from 1 to 65535")]
    [InlineData("postgres.db.svc.cluster-b.kedge:99999", "the port must be a number from 1 to 65535")]
    [InlineData("10.0.0.7:5432", "is an IP address; kedge routes by name")]
    [InlineData("[::1]:5432", "is an IP address; kedge routes by name")]
    public void Extract_BadTarget_RefusedWithTheReason(string target, string expected)
    {
        var (specs, _, errors) = Extract("--listen", "127.0.0.1:5432", target);

        Assert.Empty(specs);
        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_EveryProblemListedAtOnce()
    {
        var (_, _, errors) = Extract(
            "--listen", "0.0.0.0:5432", "a.kedge:5432",
            "--listen", "127.0.0.1:6379", "10.0.0.1:6379",
            "--listen", "127.0.0.1:7000", "b.kedge:7000",
            "--listen", "127.0.0.1:7000", "c.kedge:7000",
            "--listen");

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("--listen needs a loopback address and a target", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("is given 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void Extract_NoListen_SaysHowToGiveOne()
    {
        var (_, _, errors) = Extract("--client_tls_cert_file=/tls.crt");

        Assert.Contains("needs at least one --listen ADDRESS TARGET", Assert.Single(errors), StringComparison.Ordinal);
    }
}
