//! `fermyon:spin/llm`: linked as Spin links it, with no model behind it.
//!
//! As on Spin, a component may use only the models its manifest lists in `ai_models`; any
//! other is refused with Spin's `invalid-input` message. This runtime runs no models, so a
//! listed one fails with `runtime-error` saying so, as Spin fails when no LLM engine can
//! serve the model. An app importing the interface therefore loads and runs.

use crate::bindings::fermyon::spin::llm::{self, EmbeddingsResult, Error, InferencingParams, InferencingResult};
use crate::state::RequestState;

impl RequestState {
    fn model_error(&self, model: &str) -> Error {
        if self.caps.ai_models.iter().any(|m| m == model) {
            Error::RuntimeError(format!(
                "model '{model}' cannot be served: this runtime (crm-host) has no LLM engine"
            ))
        } else {
            Error::InvalidInput(format!(
                "The component does not have access to use '{model}'. To give the component access, add '{model}' to the 'ai_models' key for the component in your spin.toml manifest"
            ))
        }
    }
}

impl llm::Host for RequestState {
    fn infer(
        &mut self,
        model: String,
        _prompt: String,
        _params: Option<InferencingParams>,
    ) -> wasmtime::Result<Result<InferencingResult, Error>> {
        Ok(Err(self.model_error(&model)))
    }

    fn generate_embeddings(
        &mut self,
        model: String,
        _text: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        Ok(Err(self.model_error(&model)))
    }
}
