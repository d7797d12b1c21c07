using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Kedge.Testing;

/// <summary>
/// Points a symlink at a new target atomically, as the kubelet's atomic writer does: create a temporary link, then
/// rename(2) it over the old one. (File.Move follows the link and refuses a link to a directory.)
/// </summary>
public static partial class AtomicSymlink
{
    public static void Replace(string linkPath, string target)
    {
        var tmp = linkPath + ".tmp-" + Guid.NewGuid().ToString("N");
        File.CreateSymbolicLink(tmp, target);
        if (Rename(tmp, linkPath) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            File.Delete(tmp);
            throw new Win32Exception(errno, $"rename('{tmp}', '{linkPath}') failed");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);
}
