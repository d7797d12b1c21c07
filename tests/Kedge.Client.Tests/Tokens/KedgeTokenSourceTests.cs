using Kedge.Client.Tokens;
using Kedge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Client.Tests.Tokens;

public class KedgeTokenSourceTests
{
    [Fact]
    public async Task FromValue_ReturnsValue()
    {
        var source = KedgeTokenSource.FromValue("static", "abc");

        Assert.Equal("abc", await source.GetTokenAsync());
        Assert.Equal("static", source.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    public void FromValue_UnsendableToken_Throws(string token)
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeTokenSource.FromValue("static", token));

        Assert.Contains("token source 'static'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromFile_TrimsAndRereadsAfterRefreshInterval()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("token");
        await File.WriteAllTextAsync(path, "  first-token\n");
        var clock = new FakeTimeProvider();
        var source = KedgeTokenSource.FromFile("sa", path, TimeSpan.FromSeconds(5), clock);

        Assert.Equal("first-token", await source.GetTokenAsync());

        await File.WriteAllTextAsync(path, "second-token\n");
        Assert.Equal("first-token", await source.GetTokenAsync()); // cached within the interval

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("second-token", await source.GetTokenAsync());
    }

    [Fact]
    public async Task FromFile_ProjectedTokenSymlinkSwap_IsSeen()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("..v1"));
        Directory.CreateDirectory(dir.Combine("..v2"));
        await File.WriteAllTextAsync(dir.Combine("..v1", "token"), "v1");
        await File.WriteAllTextAsync(dir.Combine("..v2", "token"), "v2");
        File.CreateSymbolicLink(dir.Combine("..data"), "..v1");
        File.CreateSymbolicLink(dir.Combine("token"), Path.Combine("..data", "token"));
        var clock = new FakeTimeProvider();
        var source = KedgeTokenSource.FromFile("sa", dir.Combine("token"), TimeSpan.FromSeconds(1), clock);
        Assert.Equal("v1", await source.GetTokenAsync());

        AtomicSymlink.Replace(dir.Combine("..data"), "..v2");
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("v2", await source.GetTokenAsync());
    }

    [Fact]
    public async Task FromFile_MissingFile_FailsNamingSourceAndPath()
    {
        using var dir = new TempDirectory();
        var source = KedgeTokenSource.FromFile("sa", dir.Combine("absent"));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.Contains("token source 'sa'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("absent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromFile_FileEmptiedAfterGoodRead_KeepsLastGoodToken()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("token");
        await File.WriteAllTextAsync(path, "good");
        var clock = new FakeTimeProvider();
        var source = KedgeTokenSource.FromFile("sa", path, TimeSpan.FromSeconds(1), clock);
        Assert.Equal("good", await source.GetTokenAsync());

        await File.WriteAllTextAsync(path, "");
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("good", await source.GetTokenAsync());
    }

    [Fact]
    public async Task FromFile_EmptyFromStart_FailsClearly()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("token");
        await File.WriteAllTextAsync(path, "\n");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => KedgeTokenSource.FromFile("sa", path).GetTokenAsync().AsTask());

        Assert.Contains("empty token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromDelegate_WithCacheDuration_CallsOncePerPeriod()
    {
        var calls = 0;
        var clock = new FakeTimeProvider();
        var source = KedgeTokenSource.FromDelegate("code", _ => ValueTask.FromResult($"t{Interlocked.Increment(ref calls)}"), TimeSpan.FromMinutes(1), clock);

        Assert.Equal("t1", await source.GetTokenAsync());
        Assert.Equal("t1", await source.GetTokenAsync());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("t2", await source.GetTokenAsync());
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task FromDelegate_WithoutCache_CallsEveryTime()
    {
        var calls = 0;
        var source = KedgeTokenSource.FromDelegate("code", _ => ValueTask.FromResult($"t{Interlocked.Increment(ref calls)}"));

        await source.GetTokenAsync();
        await source.GetTokenAsync();

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task FromDelegate_Failure_IsNotCached()
    {
        var fail = true;
        var source = KedgeTokenSource.FromDelegate(
            "code",
            _ => fail ? ValueTask.FromException<string>(new InvalidOperationException("vault down")) : ValueTask.FromResult("ok"),
            TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());
        fail = false;

        Assert.Equal("ok", await source.GetTokenAsync());
    }

    [Fact]
    public async Task FromDelegate_ConcurrentCallersThenMore_LaterCallersServedFromCache()
    {
        var calls = 0;
        var source = KedgeTokenSource.FromDelegate("code", async ct =>
        {
            Interlocked.Increment(ref calls);
            await Task.Yield();
            return "shared";
        }, TimeSpan.FromMinutes(1), new FakeTimeProvider());

        var tokens = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => source.GetTokenAsync().AsTask()));
        var afterBurst = calls;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("shared", await source.GetTokenAsync());
        }

        Assert.All(tokens, t => Assert.Equal("shared", t));
        Assert.InRange(afterBurst, 1, 64);
        Assert.Equal(afterBurst, calls);
    }
}
