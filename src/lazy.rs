//! Code the page downloads when it first needs it.
//!
//! The served app is built with the `split` feature: functions declared with [`lazy_fn!`] become
//! split points, and `scripts/wasm-split.sh` (a Trunk post_build hook) cuts the module there with
//! `wasm-split-cli`. The page's module then holds what renders the workflow; the engine (running
//! steps, clean-up) and the panels that only show a run's results (inspector, flow, tokens) are
//! chunks fetched on first use. Without the feature (tests, the embed) a lazy function is an
//! ordinary call and never fails to load.

/// A chunk of the app could not be downloaded (offline, or the server was redeployed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("part of the app could not be downloaded: check the connection, then try again (reload the page if the app was updated)")]
pub struct LoadError;

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for LoadError {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        LoadError
    }
}

/// `lazy_fn!(chunk; pub fn name(args) -> T { body })` declares `pub async fn name(args) ->
/// Result<T, LoadError>`: with the `split` feature the body lives in the chunk `chunk`, loaded
/// (once) by the first call; without it the body runs at once. `lazy_fn!(chunk; async fn ...)`
/// does the same for an async body (its future is made in the chunk and awaited by the caller).
macro_rules! lazy_fn {
    ($chunk:ident; $(#[$meta:meta])* $vis:vis async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$meta])*
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::lazy::LoadError> {
            $crate::lazy::lazy_fn!($chunk;
                fn start($($arg: $ty),*) -> ::futures::future::LocalBoxFuture<'static, $ret> {
                    ::std::boxed::Box::pin(async move $body)
                }
            );
            Ok(start($($arg),*).await?.await)
        }
    };
    ($chunk:ident; $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$meta])*
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::lazy::LoadError> {
            #[cfg_attr(feature = "split", wasm_split_helpers::wasm_split($chunk, fallible))]
            #[allow(improper_ctypes_definitions)]
            fn in_chunk($($arg: $ty),*) -> Result<$ret, $crate::lazy::LoadError> {
                Ok($body)
            }
            #[cfg(feature = "split")]
            {
                in_chunk($($arg),*).await
            }
            #[cfg(not(feature = "split"))]
            {
                in_chunk($($arg),*)
            }
        }
    };
}
pub(crate) use lazy_fn;

use futures::FutureExt;
use leptos::prelude::*;
use std::future::Future;

/// A view whose code is in a chunk. `load` resolves to the view's constructor; until then this
/// shows nothing, and the [`LoadError`] if the chunk could not be downloaded. Once the chunk is
/// in (and always without the `split` feature) the view is built at once.
pub fn lazy_view<Fut>(load: impl FnOnce() -> Fut + 'static) -> impl IntoView
where
    Fut: Future<Output = Result<fn() -> AnyView, LoadError>> + 'static,
{
    let loaded = RwSignal::new(None);
    when_ready(load(), move |ready| {
        loaded.try_set(Some(ready));
    });
    move || match loaded.get() {
        None => ().into_any(),
        Some(Ok(make)) => make(),
        Some(Err(e)) => view! { <p class="error-message" role="alert">{e.to_string()}</p> }.into_any(),
    }
}

/// Runs `then` with the output of `work`: at once when it is ready at once (a loaded chunk, or no
/// splitting), so nothing renders a frame without it; otherwise when it completes.
pub fn when_ready<T: 'static>(work: impl Future<Output = T> + 'static, then: impl FnOnce(T) + 'static) {
    let mut work = Box::pin(work);
    match (&mut work).now_or_never() {
        Some(output) => then(output),
        None => leptos::task::spawn_local(async move { then(work.await) }),
    }
}
