using Kedge.Winch.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Winch.Tests.Internal;

public sealed class WinchLogThrottleTests
{
    [Fact]
    public void TryEnter_RepeatsWithinInterval_HeldBackAndCountedInTheNextLine()
    {
        var time = new FakeTimeProvider();
        var throttle = new WinchLogThrottle(time, TimeSpan.FromSeconds(10));

        Assert.True(throttle.TryEnter(out var first));
        Assert.False(throttle.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(throttle.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.TryEnter(out var next));

        Assert.Equal(0, first);
        Assert.Equal(2, next);
    }
}
