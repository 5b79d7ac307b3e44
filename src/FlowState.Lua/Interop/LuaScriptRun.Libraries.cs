using System.Runtime.InteropServices;
using KeraLua;

namespace FlowState.Lua.Interop;

/// <summary>
/// The standard libraries a run opens: only those the sandbox uses. <c>io</c> and <c>package</c> are never opened,
/// which also saves a good part of a run's fixed cost. The <c>luaopen_*</c> functions raise no errors, so calling them
/// through a managed delegate is safe.
/// </summary>
internal sealed partial class LuaScriptRun
{
    private const string LuaLibrary = "lua54";

    // Static, so that the native side's function pointers stay valid for the life of the process.
    private static readonly (string Name, LuaFunction Open)[] Libraries =
    [
        ("_G", static state => OpenBase(state)),
        ("coroutine", static state => OpenCoroutine(state)),
        ("table", static state => OpenTable(state)),
        ("os", static state => OpenOs(state)),
        ("string", static state => OpenString(state)),
        ("math", static state => OpenMath(state)),
        ("utf8", static state => OpenUtf8(state)),
        ("debug", static state => OpenDebug(state)),
    ];

    private static void OpenLibraries(KeraLua.Lua lua)
    {
        foreach (var (name, open) in Libraries)
        {
            lua.RequireF(name, open, true);
            lua.Pop(1);
        }
    }

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_base")]
    private static partial int OpenBase(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_coroutine")]
    private static partial int OpenCoroutine(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_table")]
    private static partial int OpenTable(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_os")]
    private static partial int OpenOs(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_string")]
    private static partial int OpenString(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_math")]
    private static partial int OpenMath(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_utf8")]
    private static partial int OpenUtf8(IntPtr state);

    [LibraryImport(LuaLibrary, EntryPoint = "luaopen_debug")]
    private static partial int OpenDebug(IntPtr state);
}
