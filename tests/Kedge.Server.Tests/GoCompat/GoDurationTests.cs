using Kedge.GoCompat;

namespace Kedge.Server.Tests.GoCompat;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10_000, "10s")]
    [InlineData(500, "500ms")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(2_500, "2.5s")]
    [InlineData(1_800_000, "30m0s")]
    [InlineData(-1_000, "-1s")]
    [InlineData(3_723_004, "1h2m3.004s")]
    public void Format_Duration_LikeGo(long milliseconds, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Theory]
    [InlineData(1, "100ns")]
    [InlineData(15, "1.5\u00b5s")]
    [InlineData(12_345, "1.2345ms")]
    [InlineData(10_000_001, "1.0000001s")]
    public void Format_SmallDuration_LikeGo(long ticks, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void Format_ExtremeValues_DoesNotThrow()
    {
        Assert.StartsWith("-", GoDuration.Format(TimeSpan.MinValue), StringComparison.Ordinal);
        Assert.EndsWith("s", GoDuration.Format(TimeSpan.MaxValue), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s")]
    [InlineData("1m30s")]
    [InlineData("1h0m0s")]
    [InlineData("2.5s")]
    [InlineData("500ms")]
    [InlineData("1.5\u00b5s")]
    public void TryParse_FormattedText_RoundTrips(string text)
    {
        Assert.True(GoDuration.TryParse(text, out var value, out var error));
        Assert.Null(error);
        Assert.Equal(text, GoDuration.Format(value));
    }

    [Fact]
    public void TryParse_LargestGoDuration_Accepted()
    {
        // 1<<63 - 1 ns is Go's largest duration; one more overflows.
        Assert.True(GoDuration.TryParse("9223372036854775807ns", out var value, out _));
        Assert.Equal(TimeSpan.FromTicks(92233720368547758), value);
        Assert.False(GoDuration.TryParse("9223372036854775808ns", out _, out var error));
        Assert.Equal("time: invalid duration \"9223372036854775808ns\"", error);
        Assert.True(GoDuration.TryParse("-9223372036854775808ns", out _, out _));
    }
}
