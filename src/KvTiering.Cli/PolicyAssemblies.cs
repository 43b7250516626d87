using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using KvTiering.Eviction;

namespace KvTiering.Cli;

/// <summary>
/// <c>--policy-assembly DLL</c>: loads a user's compiled policies. The assembly registers them itself (a
/// <c>[ModuleInitializer]</c> calling <see cref="EvictionPolicies.Register{TPolicy}(string, Func{TPolicy}, bool)"/>),
/// or exposes them as public static <see cref="EvictionPolicy"/> properties or fields, which are registered here.
/// </summary>
internal static class PolicyAssemblies
{
    public static IReadOnlyList<string> LoadFrom(string? paths)
    {
        if (paths is null)
        {
            return [];
        }

        var added = new List<string>();
        foreach (string path in paths.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"Policy assembly '{path}' does not exist.", path);
            }

            string[] before = [.. EvictionPolicies.AllNames];
            Assembly assembly;
            try
            {
                // The context that holds KvTiering, so the user's EvictionPolicy is the same type as ours.
                AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(typeof(EvictionPolicy).Assembly) ?? AssemblyLoadContext.Default;
                assembly = context.LoadFromAssemblyPath(full);
            }
            catch (BadImageFormatException ex)
            {
                throw new InvalidDataException($"Policy assembly '{path}' is not a .NET assembly: {ex.Message}", ex);
            }

            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
            var found = new List<string>(EvictionPolicies.AllNames.Except(before, StringComparer.OrdinalIgnoreCase));
            foreach (EvictionPolicy policy in Exposed(assembly))
            {
                EvictionPolicy? known = EvictionPolicies.AllNames.Contains(policy.Name, StringComparer.OrdinalIgnoreCase)
                    ? EvictionPolicies.FromName(policy.Name)
                    : null;
                if (known is null)
                {
                    EvictionPolicies.Register(policy);
                }
                else if (!ReferenceEquals(known, policy))
                {
                    throw new InvalidDataException($"Policy assembly '{path}' exposes a policy named '{policy.Name}', a name already taken.");
                }

                found.Add(policy.Name);
            }

            if (found.Count == 0)
            {
                throw new InvalidDataException($"Policy assembly '{path}' registers no eviction policy " +
                    "(register one in a [ModuleInitializer] with EvictionPolicies.Register, or expose a public static EvictionPolicy; see samples/CustomPolicy).");
            }

            added.AddRange(found.Except(added));
        }

        return added;
    }

    private static IEnumerable<EvictionPolicy> Exposed(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            throw new InvalidDataException($"Policy assembly '{assembly.Location}' could not be loaded: {ex.LoaderExceptions.FirstOrDefault()?.Message}", ex);
        }

        foreach (Type type in types)
        {
            foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Static))
            {
                if (typeof(EvictionPolicy).IsAssignableFrom(p.PropertyType) && p.GetIndexParameters().Length == 0 && p.GetValue(null) is EvictionPolicy policy)
                {
                    yield return policy;
                }
            }

            foreach (FieldInfo f in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (typeof(EvictionPolicy).IsAssignableFrom(f.FieldType) && f.GetValue(null) is EvictionPolicy policy)
                {
                    yield return policy;
                }
            }
        }
    }
}
