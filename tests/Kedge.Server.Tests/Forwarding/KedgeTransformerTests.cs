using System.Net;
using Kedge.Server.Configuration;
using Kedge.Server.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Tests.Forwarding;

public class KedgeTransformerTests
{
    [Fact]
    public async Task TransformRequestAsync_ConnectionNamesHeaders_TheyAreRemovedWithoutThrowing()
    {
        var context = Request(("Connection", "close,  x-internal-token , Content-Language, bad name, Content-Length"), ("X-Internal-Token", "secret"), ("Content-Language", "de"), ("Content-Length", "4"), ("X-Kept", "yes"));
        context.Request.Method = "POST";
        context.Request.Body = new MemoryStream("body"u8.ToArray());

        var sent = await TransformAsync(context);

        Assert.False(sent.Headers.NonValidated.Contains("X-Internal-Token"));
        Assert.False(sent.Content?.Headers.NonValidated.Contains("Content-Language") ?? false);
        Assert.True(sent.Headers.NonValidated.Contains("X-Kept"));
    }

    [Theory]
    [InlineData(ForwardedHeadersMode.Set, "192.0.2.7")]
    [InlineData(ForwardedHeadersMode.Append, "10.9.9.9, 192.0.2.7")]
    public async Task TransformRequestAsync_CallerForwardedFor_FollowsMode(ForwardedHeadersMode mode, string expected)
    {
        var context = Request(("X-Forwarded-For", "10.9.9.9"), ("Forwarded", "for=10.9.9.9"));

        var sent = await TransformAsync(context, mode);

        Assert.Equal(expected, string.Join(", ", sent.Headers.GetValues("X-Forwarded-For")));
        Assert.Equal(mode == ForwardedHeadersMode.Append, sent.Headers.NonValidated.Contains("Forwarded"));
    }

    [Theory]
    [InlineData("winch-3f2a", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("\u0001", false)]
    public async Task TransformRequestAsync_RequestId_KeptOnlyWhenValid(string id, bool kept)
    {
        var context = Request(("X-Kedge-Request-ID", id));

        var sent = await TransformAsync(context);

        var forwarded = sent.Headers.GetValues(KedgeTransformer.RequestIdHeader).Single();
        Assert.Equal(kept, forwarded == id);
        Assert.Equal(forwarded, context.Response.Headers[KedgeTransformer.RequestIdHeader].ToString());
    }

    [Fact]
    public async Task TransformRequestAsync_ConnectionNamesKedgeHeaders_KedgeStillSetsThem()
    {
        var context = Request(("Connection", "X-Kedge-Request-ID, X-Forwarded-For"), ("X-Kedge-Request-ID", "winch-1"), ("X-Forwarded-For", "10.9.9.9"));

        var sent = await TransformAsync(context);

        Assert.Equal("winch-1", sent.Headers.GetValues(KedgeTransformer.RequestIdHeader).Single());
        Assert.Equal("192.0.2.7", sent.Headers.GetValues("X-Forwarded-For").Single());
    }

    private static DefaultHttpContext Request(params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString("orders.test");
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }

    private static async Task<HttpRequestMessage> TransformAsync(HttpContext context, ForwardedHeadersMode mode = ForwardedHeadersMode.Set)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        if (context.Request.Body != Stream.Null && context.Request.Body.CanRead && context.Request.Method == "POST")
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        await new KedgeTransformer(hostOverride: null, endpoint: null, adhocRule: null, mode).TransformRequestAsync(context, request, "http://backend", CancellationToken.None);
        return request;
    }
}
