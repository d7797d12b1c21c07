using Kedge.Winch.Auth;

namespace Kedge.Winch.Tests.Auth;

public sealed class ExecResolveTests
{
    [Fact]
    public void ResolveCommand_BareNameOnPath_AbsolutePathFromPath()
    {
        var resolved = ExecCredentialTokenSource.ResolveCommand("sh");

        Assert.True(Path.IsPathRooted(resolved));
        Assert.EndsWith("/sh", resolved, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveCommand_BareNameOnlyInCurrentDirectory_NotFoundRatherThanRunFromHere()
    {
        var name = "winch-plugin-" + Guid.NewGuid().ToString("N");
        var planted = Path.Combine(Environment.CurrentDirectory, name);
        File.WriteAllText(planted, "#!/bin/sh\necho planted\n");
        try
        {
            var ex = Assert.Throws<System.ComponentModel.Win32Exception>(() => ExecCredentialTokenSource.ResolveCommand(name));
            Assert.Contains("not found on PATH", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(planted);
        }
    }

    [Fact]
    public void ResolveCommand_PathGiven_KeptAsIs()
    {
        Assert.Equal("./bin/plugin", ExecCredentialTokenSource.ResolveCommand("./bin/plugin"));
    }
}
