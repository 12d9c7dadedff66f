#!/usr/bin/env bash
# Install test: the packages as users install them. Packs Microsoft.ML.PromptLearning and the ChineseMini model package into
# a temporary folder feed, then builds InstallCheck (a console app outside the solution) three ways and runs it in two
# processes each (train, evaluate, save, export ONNX, score with ONNX Runtime; reload the zip and score):
#   1. PackageReference to the two packages (with versions, no project references) and libtorch-cpu-linux-x64;
#   2. the same with Microsoft.ML 6.0.0 and Microsoft.ML.TorchSharp 0.24.0 beside them (a common existing-app setup);
#   3. ProjectReference to the two projects (the Debian 12 libstdc++ fix must reach it without manual steps).
# Uses the machine's NuGet sources and restore cache; the packed version is unique per run and removed from the cache after.
#   bash tests/install/run.sh            (after a Release build; builds what is missing)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/tests/install"
started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/prompt-learning-install.XXXXXX")"
prefix="$(dotnet msbuild "$repo/src/Microsoft.ML.PromptLearning/Microsoft.ML.PromptLearning.csproj" -getProperty:VersionPrefix -nologo)"
version="$prefix-install.$(date +%Y%m%d%H%M%S).$$"
cache="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
cleanup() {
  rm -rf "$work" "${cache%/}/microsoft.ml.promptlearning/$version" "${cache%/}/microsoft.ml.promptlearning.models.chinesemini/$version"
}
trap cleanup EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "install test: packing $version into $work/feed"
for project in src/Microsoft.ML.PromptLearning src/Microsoft.ML.PromptLearning.Models.ChineseMini; do
  dotnet build "$repo/$project" -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  dotnet pack "$repo/$project" -c Release --no-build -nologo -v q -p:PackageVersion="$version" -o "$work/feed" >/dev/null
done
ls -l "$work/feed" | awk 'NR > 1 { printf "  %-75s %6.1f MB\n", $9, $5 / 1048576 }'

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="install-test-feed" value="$work/feed" />
  </packageSources>
</configuration>
XML

app() {   # app NAME EXTRA_PROPERTIES REFERENCES
  mkdir -p "$work/$1"
  cp "$here/InstallCheck/Program.cs" "$work/$1/"
  cat > "$work/$1/InstallCheck.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>\$(NoWarn);NU1603</NoWarn>
    $2
  </PropertyGroup>
  <ItemGroup>
$3
  </ItemGroup>
</Project>
XML
}

app packages "" '    <PackageReference Include="Microsoft.ML.PromptLearning" Version="'"$version"'" />
    <PackageReference Include="Microsoft.ML.PromptLearning.Models.ChineseMini" Version="'"$version"'" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />'
app packages-with-mlnet-torchsharp "<DefineConstants>\$(DefineConstants);WITH_MLNET_TORCHSHARP</DefineConstants>" '    <PackageReference Include="Microsoft.ML" Version="6.0.0" />
    <PackageReference Include="Microsoft.ML.TorchSharp" Version="0.24.0" />
    <PackageReference Include="Microsoft.ML.PromptLearning" Version="'"$version"'" />
    <PackageReference Include="Microsoft.ML.PromptLearning.Models.ChineseMini" Version="'"$version"'" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />'
app project-references "" '    <ProjectReference Include="'"$repo"'/src/Microsoft.ML.PromptLearning/Microsoft.ML.PromptLearning.csproj" />
    <ProjectReference Include="'"$repo"'/src/Microsoft.ML.PromptLearning.Models.ChineseMini/Microsoft.ML.PromptLearning.Models.ChineseMini.csproj" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />'

data="$repo/examples/TnewsFewShot/data"
for name in packages packages-with-mlnet-torchsharp project-references; do
  t0=$(date +%s)
  echo "install test [$name]: restore + build"
  if ! dotnet build "$work/$name" -c Release -nologo -v q -clp:ErrorsOnly > "$work/$name.build.log" 2>&1; then
    cat "$work/$name.build.log"; echo "install test [$name]: build FAILED"; exit 1
  fi
  dll="$work/$name/bin/Release/net10.0/InstallCheck.dll"
  dotnet "$dll" train "$data" "$work/$name/run" | sed "s/^/  /"
  dotnet "$dll" score "$data" "$work/$name/run" | sed "s/^/  /"
  echo "install test [$name]: ok in $(( $(date +%s) - t0 )) s"
done
echo "install test: all 3 routes ok in $(( $(date +%s) - started )) s"
