using Kedge.Server.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Tests.Routing;

public class RequestTargetTests
{
    /// <summary>A request as Kestrel hands it over: raw target, Host header and the decoded path.</summary>
    private static DefaultHttpContext Request(string rawTarget, string host, string? path = null, string method = "GET")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Host = new HostString(host);
        context.Request.Path = new PathString(path ?? rawTarget.Split('?')[0]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        return context;
    }

    [Theory]
    [InlineData("svc", "svc", RequestTarget.NoPort)]
    [InlineData("svc:", "svc", RequestTarget.NoPort)]
    [InlineData("svc:8080", "svc", 8080)]
    [InlineData("svc:1", "svc", 1)]
    [InlineData("svc:65535", "svc", 65535)]
    [InlineData("svc:0080", "svc", 80)]
    [InlineData("[::1]", "::1", RequestTarget.NoPort)]
    [InlineData("[::1]:", "::1", RequestTarget.NoPort)]
    [InlineData("[fd00::7]:9000", "fd00::7", 9000)]
    [InlineData("", "", RequestTarget.NoPort)]
    public void TryParseAuthority_Valid_HostAndNamedPort(string authority, string host, int port)
    {
        Assert.True(RequestTarget.TryParseAuthority(authority, out var parsedHost, out var parsedPort));
        Assert.Equal((host, port), (parsedHost, parsedPort));
    }

    [Theory]
    [InlineData("svc:0")]
    [InlineData("svc:65536")]
    [InlineData("svc:99999999999")]
    [InlineData("svc:000080")]
    [InlineData("svc:-1")]
    [InlineData("svc:+80")]
    [InlineData("svc: 80")]
    [InlineData("svc:abc")]
    [InlineData("svc:80:80")]
    [InlineData("[::1]:65536")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    [InlineData("[::1]:x")]
    public void TryParseAuthority_BadPort_False(string authority)
    {
        Assert.False(RequestTarget.TryParseAuthority(authority, out _, out _));
    }

    [Theory]
    [InlineData("svc.ns", 80, RequestTarget.NoPort, "svc.ns")]
    [InlineData("svc.ns:", 80, RequestTarget.NoPort, "svc.ns")]
    [InlineData("svc.ns:80", 80, 80, "svc.ns:80")]
    [InlineData("svc.ns:8080", 8080, 8080, "svc.ns:8080")]
    public void From_OriginForm_PortFromHostHeaderMissingCountsAs80(string host, int port, int namedPort, string authority)
    {
        var target = RequestTarget.From(Request("/x", host));

        Assert.False(target.IsForwardProxy);
        Assert.Equal(("svc.ns", port, namedPort, authority), (target.Host, target.Port, target.NamedPort, target.Authority));
        Assert.Null(target.Error);
    }

    [Theory]
    [InlineData("http://svc.ns/x", "svc.ns", 80, RequestTarget.NoPort, "svc.ns")]
    [InlineData("http://svc.ns:80/x", "svc.ns", 80, 80, "svc.ns:80")]
    [InlineData("http://svc.ns:/x", "svc.ns", 80, RequestTarget.NoPort, "svc.ns")]
    [InlineData("https://svc.ns/x", "svc.ns", 443, RequestTarget.NoPort, "svc.ns")]
    [InlineData("https://svc.ns:443/x", "svc.ns", 443, 443, "svc.ns:443")]
    [InlineData("http://svc.ns:8080?q=1", "svc.ns", 8080, 8080, "svc.ns:8080")]
    [InlineData("http://user@svc.ns:8080/x", "svc.ns", 8080, 8080, "svc.ns:8080")]
    [InlineData("http://[fd00::7]:9000/x", "fd00::7", 9000, 9000, "[fd00::7]:9000")]
    public void From_AbsoluteForm_ThePortTheCallerWroteIsNamed(string rawTarget, string host, int port, int namedPort, string authority)
    {
        var target = RequestTarget.From(Request(rawTarget, "ignored", path: "/x"));

        Assert.True(target.IsForwardProxy);
        Assert.Equal((host, port, namedPort, authority), (target.Host, target.Port, target.NamedPort, target.Authority));
        Assert.Null(target.Error);
    }

    [Theory]
    [InlineData("/x", "svc.ns:65536", "svc.ns:65536")]
    [InlineData("/x", "svc.ns:0", "svc.ns:0")]
    public void From_MalformedAuthority_ErrorNamesIt(string rawTarget, string host, string named)
    {
        var target = RequestTarget.From(Request(rawTarget, host, path: "/x"));

        Assert.Contains($"'{named}'", target.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void From_Connect_NeverForwardProxy()
    {
        var target = RequestTarget.From(Request("http://svc.ns:80/", "svc.ns:443", path: "/", method: "CONNECT"));

        Assert.False(target.IsForwardProxy);
        Assert.Equal(443, target.Port);
    }

    [Theory]
    [InlineData("/v1/..;/admin", "/v1/..;/admin", "';' path parameter", "/admin")]
    [InlineData("/v1/%2e%2e/admin?x", "/admin", "encoded dot segment", "/admin")]
    [InlineData("/v1/..%2Fadmin", "/v1/..%2Fadmin", "encoded slash", "/admin")]
    [InlineData("http://svc.ns/v1/%5c..%5cadmin", "/v1/\\..\\admin", "backslash", "/admin")]
    public void From_AmbiguousPath_ReasonRawAndLenientPath(string rawTarget, string kestrelPath, string reason, string lenient)
    {
        var target = RequestTarget.From(Request(rawTarget, "svc.ns", kestrelPath));

        Assert.Contains(reason, target.PathAmbiguity, StringComparison.Ordinal);
        Assert.Equal(lenient, target.LenientPath);
        Assert.StartsWith("/v1/", target.RawPath, StringComparison.Ordinal);
    }

    [Fact]
    public void From_QueryWithAmbiguousCharacters_PathNotAmbiguous()
    {
        var target = RequestTarget.From(Request("/v1/x?next=..;/admin&p=%2F%5C", "svc.ns", "/v1/x"));

        Assert.Null(target.PathAmbiguity);
        Assert.Equal("/v1/x", target.Path);
    }
}
