using Kedge.Client.Mapping;

namespace Kedge.Client.Tests.Mapping;

public class DirectMapperTests
{
    private static readonly KedgeRoute HostRoute = new(new Uri("https://kedge-host.example.com"));
    private static readonly KedgeRoute PortRoute = new(new Uri("https://kedge-7.example.com:8443"));

    private static KedgeMapper Mapper() => KedgeMapper.Direct(
    [
        new("legacy.internal", HostRoute),
        new("legacy.internal:8080", PortRoute),
        new("only-port.internal:9090", PortRoute),
    ]);

    [Theory]
    [InlineData("legacy.internal", null, "https://kedge-host.example.com/")]
    [InlineData("legacy.internal", 80, "https://kedge-host.example.com/")]
    [InlineData("legacy.internal", 8080, "https://kedge-7.example.com:8443/")]
    [InlineData("LEGACY.internal", 8080, "https://kedge-7.example.com:8443/")]
    [InlineData("legacy.internal.", null, "https://kedge-host.example.com/")]
    [InlineData("only-port.internal", 9090, "https://kedge-7.example.com:8443/")]
    public void Map_KnownTarget_ReturnsItsRoute(string host, int? port, string expected)
    {
        Assert.Equal(expected, Mapper().Map(host, port)!.KedgeUrl.ToString());
    }

    [Theory]
    [InlineData("only-port.internal", null)]
    [InlineData("only-port.internal", 9091)]
    [InlineData("other.internal", null)]
    public void Map_UnknownTarget_IsNotKedgeDestination(string host, int? port)
    {
        Assert.Null(Mapper().Map(host, port));
    }

    [Theory]
    [InlineData("", "must be 'host' or 'host:port'")]
    [InlineData("host:", "port from 1 to 65535")]
    [InlineData("host:99999", "port from 1 to 65535")]
    [InlineData(":80", "port from 1 to 65535")]
    [InlineData("http://host", "must be 'host' or 'host:port'")]
    public void Direct_MalformedKey_Throws(string key, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Direct([new(key, HostRoute)]));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Direct_DuplicateKey_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Direct([new("a.internal", HostRoute), new("A.internal", PortRoute)]));

        Assert.Contains("given twice", ex.Message, StringComparison.Ordinal);
    }
}
