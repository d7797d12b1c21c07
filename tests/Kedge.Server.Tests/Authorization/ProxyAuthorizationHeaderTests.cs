using Kedge.Server.Authorization;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Tests.Authorization;

public class ProxyAuthorizationHeaderTests
{
    [Theory]
    [InlineData(null, "Missing", "")]
    [InlineData("   ", "Missing", "")]
    [InlineData("Bearer abc.def.ghi", "Present", "abc.def.ghi")]
    [InlineData("bearer abc", "Present", "abc")]
    [InlineData("  Bearer abc  ", "Present", "abc")]
    [InlineData("Bearer  abc", "Malformed", "")]
    [InlineData("Bearer", "Malformed", "")]
    [InlineData("Bearer ", "Malformed", "")]
    [InlineData("Basic dXNlcjpwYXNz", "Malformed", "")]
    [InlineData("Bearer a b", "Malformed", "")]
    [InlineData("Bearerabc", "Malformed", "")]
    public void Read_HeaderValue_ClassifiedAndTokenExtracted(string? value, string expectedName, string expectedToken)
    {
        var context = new DefaultHttpContext();
        if (value is not null)
        {
            context.Request.Headers["Proxy-Authorization"] = value;
        }

        var status = ProxyAuthorizationHeader.Read(context.Request, out var token);

        Assert.Equal(expectedName, status.ToString());
        Assert.Equal(expectedToken, token);
    }

    [Fact]
    public void Read_TwoHeaders_Malformed()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Append("Proxy-Authorization", "Bearer a");
        context.Request.Headers.Append("Proxy-Authorization", "Bearer b");

        Assert.Equal(ProxyCredentialStatus.Malformed, ProxyAuthorizationHeader.Read(context.Request, out _));
    }
}
