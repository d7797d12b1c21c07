using System.Net;
using System.Net.Sockets;
using Kedge.Client.Failover;

namespace Kedge.Client.Tests.Failover;

public sealed class FailoverPolicyTests
{
    public static TheoryData<string, bool> Requests => new()
    {
        { "GET", true },
        { "HEAD", true },
        { "PUT buffered", true },
        { "DELETE", true },
        { "POST", false },
        { "POST buffered", false },
        { "PATCH buffered", false },
        { "PUT streamed", false },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void CanResend_IdempotentWithBufferedOrNoContent_Only(string request, bool expected)
    {
        var parts = request.Split(' ');
        using var message = new HttpRequestMessage(new HttpMethod(parts[0]), "http://orders.kedge/")
        {
            Content = parts.Length == 1 ? null : parts[1] == "buffered" ? new StringContent("x") : new StreamContent(new MemoryStream([1])),
        };

        Assert.Equal(expected, FailoverPolicy.CanResend(message));
    }

    [Fact]
    public void Classify_ConnectionRefused_NothingSent()
    {
        var ex = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal(FailoverPolicy.Failure.NothingSent, FailoverPolicy.Classify(ex, CancellationToken.None));
    }

    [Fact]
    public void Classify_TlsFailureInsideConnectionError_NothingSent()
    {
        var ex = new HttpRequestException(HttpRequestError.Unknown, "connect callback", new HttpRequestException(HttpRequestError.SecureConnectionError, "untrusted"));

        Assert.Equal(FailoverPolicy.Failure.NothingSent, FailoverPolicy.Classify(ex, CancellationToken.None));
    }

    [Fact]
    public void Classify_ResponseEnded_MaybeSent()
    {
        var ex = new HttpRequestException(HttpRequestError.ResponseEnded, "ended", new IOException("reset"));

        Assert.Equal(FailoverPolicy.Failure.MaybeSent, FailoverPolicy.Classify(ex, CancellationToken.None));
    }

    [Fact]
    public void Classify_ConnectTimeout_NothingSent()
    {
        var ex = new TaskCanceledException("connect timeout", new TimeoutException());

        Assert.Equal(FailoverPolicy.Failure.NothingSent, FailoverPolicy.Classify(ex, CancellationToken.None));
    }

    [Fact]
    public void Classify_CallerCancelled_NotAFailure()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.Null(FailoverPolicy.Classify(new TaskCanceledException("cancelled", new TimeoutException()), cts.Token));
    }

    [Theory]
    [InlineData(KedgeErrorTypes.NoResolutionAvailable, true)]
    [InlineData(KedgeErrorTypes.NoConnectionToAllResolvedAddresses, true)]
    [InlineData(KedgeErrorTypes.NoRoute, false)]
    [InlineData(KedgeErrorTypes.Forbidden, false)]
    public void IsNoHealthyEndpoint_ByErrorType(string type, bool expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.BadGateway);
        response.Headers.TryAddWithoutValidation(KedgeError.ErrorTypeHeader, type);

        Assert.Equal(expected, FailoverPolicy.IsNoHealthyEndpoint(response));
    }
}
