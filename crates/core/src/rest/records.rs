//! The record methods `crm.{lead,contact,company,deal,product,activity}.{add,get,list,update,delete,fields}`: Bitrix24's field names and value codes mapped onto the record engine (issue 19).

use super::methods::Method;

/// This family's methods.
pub const METHODS: &[Method] = &[];
