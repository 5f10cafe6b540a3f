//! The on-disk cache of compiled components, and the stamps that keep a warm start flat.
//!
//! Compiling a component is the slow part of a cold start, so its machine code (an
//! *artifact*) is kept under a key made of the `.wasm` content hash and the engine's
//! compatibility hash: a restart with unchanged components compiles nothing. A core module is
//! adapted into a component ([`crate::componentize`]) just before it is compiled, and keyed by
//! its own content like a component, so a warm start adapts nothing either.
//!
//! Hashing every `.wasm` at each start would still cost time in proportion to the app's
//! size, so once a component has been compiled *and has passed its check* (linking against
//! the runtime's interfaces), a stamp in `stamps/` records the source file's identity
//! (device, inode, size, modification and change times) and the artifact it maps to. A
//! start then costs, per component, a `stat` of the source, a small read of its stamp and
//! a `stat` of the artifact ([`CompileCache::checked`]); only a missing or outdated stamp
//! leads to reading and hashing the source, and only a missing artifact to compiling it
//! ([`CompileCache::compile_checked`]). Loading an artifact's machine code is
//! [`CompileCache::load`], done on a component's first request.

#![allow(unsafe_code)] // Component::deserialize_file: see the SAFETY note in `deserialize`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A component's compiled machine code in the cache, and the source it came from.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The component's `.wasm` file.
    pub source: PathBuf,
    /// Its compiled form in the cache directory (a `.cwasm` file).
    pub compiled: PathBuf,
}

/// The cache directory of one engine configuration.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    /// Tells this engine configuration (and runtime version) apart from others sharing `dir`.
    engine_tag: String,
}

impl CompileCache {
    /// The cache in `dir` for artifacts of `engine`.
    pub fn new(engine: &Engine, dir: PathBuf) -> CompileCache {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        CompileCache {
            dir,
            engine_tag: format!("{:016x}", hasher.finish()),
        }
    }

    /// The artifact of `source` if a stamp says it was compiled and checked, the source has
    /// not changed since, and the artifact is still there. Reads no `.wasm`.
    pub fn checked(&self, source: &Path) -> Option<Artifact> {
        let identity = file_identity(source).ok()?;
        let stamp = std::fs::read_to_string(self.stamp_path(source)).ok()?;
        let (stamped_identity, compiled_name) = stamp.split_once('\n')?;
        let compiled = self.dir.join(compiled_name.trim_end());
        (stamped_identity == identity && compiled.is_file()).then(|| Artifact {
            source: source.to_path_buf(),
            compiled,
        })
    }

    /// Compiles `source` unless the cache holds its artifact already, runs `check` on it,
    /// and once that passes stamps the source so later starts skip all of this. Returns the
    /// artifact and what `check` returned.
    pub fn compile_checked<T>(
        &self,
        engine: &Engine,
        source: &Path,
        check: impl FnOnce(&Component) -> anyhow::Result<T>,
    ) -> anyhow::Result<(Artifact, T)> {
        // The identity is taken before reading: a file changed meanwhile fails its stamp next time.
        let identity = file_identity(source).with_context(|| format!("reading {}", source.display()))?;
        let bytes = std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
        let compiled = self.dir.join(format!(
            "{}-{}.cwasm",
            hex::encode(Sha256::digest(&bytes)),
            self.engine_tag
        ));
        let component = match deserialize(engine, &compiled) {
            Some(component) => component,
            None => {
                let component = crate::componentize::componentize(&bytes)
                    .and_then(|wasm| Component::new(engine, &wasm).map_err(anyhow::Error::from))
                    .with_context(|| format!("compiling {}", source.display()))?;
                if let Err(e) = self.store(&component, &compiled) {
                    eprintln!("could not cache the compiled component ({e:#}); it will be compiled again next start");
                }
                component
            }
        };
        let checked = check(&component)?;
        if compiled.is_file()
            && let Err(e) = self.write_stamp(source, &identity, &compiled)
        {
            eprintln!(
                "could not stamp {} in the compile cache ({e:#}); the next start hashes it again",
                source.display()
            );
        }
        let artifact = Artifact {
            source: source.to_path_buf(),
            compiled,
        };
        Ok((artifact, checked))
    }

    /// The artifact's machine code, ready to link. An artifact removed or damaged since start
    /// is compiled again from its source (and cached again).
    pub fn load(&self, engine: &Engine, artifact: &Artifact) -> anyhow::Result<Component> {
        if let Some(component) = deserialize(engine, &artifact.compiled) {
            return Ok(component);
        }
        let _ = std::fs::remove_file(&artifact.compiled);
        let (_, component) = self.compile_checked(engine, &artifact.source, |c| Ok(c.clone()))?;
        Ok(component)
    }

    fn stamp_path(&self, source: &Path) -> PathBuf {
        let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
        let path_hash = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
        self.dir
            .join("stamps")
            .join(format!("{}-{}", hex::encode(&path_hash[..16]), self.engine_tag))
    }

    fn store(&self, component: &Component, target: &Path) -> anyhow::Result<()> {
        write_atomically(&self.dir, target, &component.serialize()?)
    }

    fn write_stamp(&self, source: &Path, identity: &str, compiled: &Path) -> anyhow::Result<()> {
        let name = compiled
            .file_name()
            .context("an artifact has a file name")?
            .to_string_lossy();
        let stamp = self.stamp_path(source);
        let dir = stamp.parent().context("a stamp has a directory")?;
        write_atomically(dir, &stamp, format!("{identity}\n{name}\n").as_bytes())
    }
}

/// Deserialises a cached artifact; `None` when it is missing or unusable (said in the log).
fn deserialize(engine: &Engine, compiled: &Path) -> Option<Component> {
    if !compiled.is_file() {
        return None;
    }
    // SAFETY: the file was written by `Component::serialize` of this same engine
    // configuration (its name includes the compatibility hash) into a cache directory
    // owned by the user running this process.
    match unsafe { Component::deserialize_file(engine, compiled) } {
        Ok(component) => Some(component),
        Err(e) => {
            eprintln!("ignoring unusable cache entry {}: {e}", compiled.display());
            None
        }
    }
}

/// What tells one version of a file from another without reading it.
fn file_identity(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(format!(
            "dev={} ino={} size={} mtime={}.{} ctime={}.{}",
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        ))
    }
    #[cfg(not(unix))]
    {
        let modified = meta
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Ok(format!("size={} mtime={}", meta.len(), modified.as_nanos()))
    }
}

/// Writes `bytes` to `target` through a temporary file in `dir`, so a reader never sees half.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target)?;
    Ok(())
}
