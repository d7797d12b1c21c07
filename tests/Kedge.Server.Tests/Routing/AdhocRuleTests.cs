using System.Net;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;

namespace Kedge.Server.Tests.Routing;

public class AdhocRuleTests
{
    private static AdhocRule Rule(string matcher, int defaultPort = 0, int[]? allowed = null, (int From, int To)[]? ranges = null, string? pattern = null, string substitution = "", string[]? reserved = null)
        => new(0, new AdhocRuleOptions
        {
            DnsNameMatcher = matcher,
            Port = new() { Default = defaultPort, Allowed = [.. allowed ?? []], AllowedRanges = [.. (ranges ?? []).Select(r => new AdhocPortRangeOptions { From = r.From, To = r.To })] },
            DnsNameReplace = pattern is null ? null : new() { Pattern = pattern, Substitution = substitution },
            AllowedReservedNetworks = [.. reserved ?? []],
        }, policy: null);

    [Theory]
    [InlineData("*.pods.cluster.local", "a.pods.cluster.local", true)]
    [InlineData("*.pods.cluster.local", "A.PODS.Cluster.Local", true)]
    [InlineData("*.pods.cluster.local", "pods.cluster.local", false)]
    [InlineData("*foo.x", "barfoo.x", true)]
    [InlineData("db.shop", "db.shop", true)]
    [InlineData("db.shop", "x.db.shop", false)]
    public void MatchesName_GoSemanticsCaseInsensitive(string matcher, string host, bool expected)
    {
        Assert.Equal(expected, Rule(matcher).MatchesName(host));
    }

    [Fact]
    public void AllowsPort_ListAndInclusiveRanges_DefaultNotImplied()
    {
        var rule = Rule("*.x", defaultPort: 8080, allowed: [81], ranges: [(9000, 9010)]);

        Assert.True(rule.AllowsPort(81));
        Assert.True(rule.AllowsPort(9000));
        Assert.True(rule.AllowsPort(9010));
        Assert.False(rule.AllowsPort(9011));
        Assert.False(rule.AllowsPort(8999));
        Assert.False(rule.AllowsPort(8080));
        Assert.Equal(8080, rule.DefaultPort);
    }

    [Fact]
    public void DefaultPort_Unset_Is80ForHttpAndGrpcAlike()
    {
        Assert.Equal(80, Rule("*.x").DefaultPort);
    }

    [Fact]
    public void NameToResolve_ReplacesEveryOccurrenceOrNullWhenAbsent()
    {
        var rule = Rule("*.ext.example.com", pattern: ".ext.example.com", substitution: ".svc.cluster.local");

        Assert.Equal("db.shop.svc.cluster.local", rule.NameToResolve("db.shop.ext.example.com"));
        Assert.Null(Rule("*.x", pattern: ".nowhere").NameToResolve("a.x"));
        Assert.Equal("a.x", Rule("*.x").NameToResolve("a.x"));
    }

    // Found by AdhocRuleProperties: the AWS IPv6 metadata address was recognised by equality, which compares the scope
    // id too, so "fd00:ec2::254%1" (what resolving that literal with a scope gives) passed as an ordinary address.
    [Theory]
    [InlineData("fd00:ec2::254", 1)]
    [InlineData("fd00:ec2::254", 7)]
    [InlineData("::1", 2)]
    [InlineData("fe80::1", 2)]
    public void MayConnect_ReservedAddressWithScopeId_Refused(string address, long scopeId)
    {
        var scoped = new IPAddress(IPAddress.Parse(address).GetAddressBytes(), scopeId);

        Assert.False(Rule("*.x").MayConnect(scoped));
    }

    [Theory]
    [InlineData("10.12.0.7", true)]
    [InlineData("172.20.3.4", true)]
    [InlineData("fd00::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.9.9.9", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("fe80::1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("fd00:ec2::254", false)]
    [InlineData("100.100.100.200", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("64:ff9b::a0c:7", true)]
    [InlineData("2002:7f00:1::1", false)]
    [InlineData("2002:a0c:7::1", true)]
    [InlineData("::7f00:1", false)]
    public void MayConnect_ReservedRangesRefusedByDefault(string address, bool expected)
    {
        Assert.Equal(expected, Rule("*.x").MayConnect(IPAddress.Parse(address)));
    }

    [Fact]
    public void MayConnect_RuleAllowsNetwork_OnlyThatNetwork()
    {
        var rule = Rule("*.x", reserved: ["127.0.0.0/8"]);

        Assert.True(rule.MayConnect(IPAddress.Parse("127.0.0.1")));
        Assert.True(rule.MayConnect(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(rule.MayConnect(IPAddress.Parse("169.254.169.254")));
        Assert.False(rule.MayConnect(IPAddress.Parse("::1")));
    }

    [Fact]
    public void MatchAdhoc_FirstNameMatchDecidesAndIpLiteralsNeverMatch()
    {
        var table = new RoutingTable(new KedgeServerOptions
        {
            HttpAdhocRules =
            [
                new() { DnsNameMatcher = "*.pods.test", Port = new() { Allowed = [80] } },
                new() { DnsNameMatcher = "*.test", Port = new() { Allowed = [81] } },
                new() { DnsNameMatcher = "*.1", Port = new() { Allowed = [80] } },
            ],
        });

        Assert.Equal(0, table.MatchAdhoc("a.pods.test", isGrpc: false)!.Index);
        Assert.Equal(1, table.MatchAdhoc("a.other.test", isGrpc: false)!.Index);
        Assert.Null(table.MatchAdhoc("10.0.0.1", isGrpc: false));
        Assert.Null(table.MatchAdhoc("a.pods.test", isGrpc: true));
    }
}
